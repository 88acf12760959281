/* _cperm.c - the Python extension of clusterperm: numpy arrays in, the public C API
 * (clusterperm.h, nothing else) called with the GIL released, numpy arrays out. It owns the
 * marshalling only: every MNE semantic (argument checks, warnings, logging, out_type, which
 * layout a sample shape takes) is the Python package's (__init__.py, _cluster.py), so that
 * this file stays a thin, typed door to the library.
 *
 * A Python stat_fun reaches the engine as a cperm_stat_fn (CPERM_STAT_CALLBACK): the engine
 * calls back with each permuted data block, the trampoline takes the GIL, calls Python and
 * copies the map back; an exception raised there is kept and re-raised once the engine has
 * stopped (it reports CPERM_ECANCELLED). The progress callback takes the GIL the same way. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clusterperm.h"

/* ------------------------------------------------------------------ helpers */

static PyObject *raise_err(int rc, const cperm_err *err) {
    PyObject *type = rc == CPERM_ENOMEM ? PyExc_MemoryError
                     : rc == CPERM_EIO || rc == CPERM_ENOTFOUND ? PyExc_OSError
                     : rc == CPERM_EUNSUPPORTED ? PyExc_NotImplementedError
                     : PyExc_ValueError;
    PyErr_Format(type, "%s", err && err->msg[0] ? err->msg : cperm_strerror(rc));
    return NULL;
}

/* A C-contiguous, aligned array of `type` (a copy only when obj is not one already). */
static PyArrayObject *as_array(PyObject *obj, int type, int min_nd, int max_nd) {
    return (PyArrayObject *)PyArray_FromAny(obj, PyArray_DescrFromType(type), min_nd, max_nd,
                                            NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED, NULL);
}

static PyObject *new_vector(int type, size_t n, const void *src, size_t elsize) {
    npy_intp dims[1] = {(npy_intp)n};
    PyObject *a = PyArray_SimpleNew(1, dims, type);
    if (a && n && src) memcpy(PyArray_DATA((PyArrayObject *)a), src, n * elsize);
    return a;
}

/* A graph as (indptr int64, indices int32) numpy arrays. */
static PyObject *graph_tuple(const cperm_graph *g) {
    const size_t n = g->n_vertices, nnz = g->indptr[n];
    PyObject *ip = new_vector(NPY_INT64, n + 1, NULL, 0);
    PyObject *ix = new_vector(NPY_INT32, nnz, g->indices, sizeof(int32_t));
    if (!ip || !ix) {
        Py_XDECREF(ip);
        Py_XDECREF(ix);
        return NULL;
    }
    int64_t *d = PyArray_DATA((PyArrayObject *)ip);
    for (size_t i = 0; i <= n; i++) d[i] = (int64_t)g->indptr[i];
    return Py_BuildValue("(NN)", ip, ix);
}

/* A graph from (n_vertices, indptr, indices) Python objects (the package passes symmetric
 * CSR without self-loops; the library checks it). */
static int graph_from_objects(cperm_graph **out, Py_ssize_t n, PyObject *indptr,
                              PyObject *indices, cperm_err *err) {
    PyArrayObject *ip = as_array(indptr, NPY_INT64, 1, 1);
    PyArrayObject *ix = ip ? as_array(indices, NPY_INT32, 1, 1) : NULL;
    int rc = -100;
    if (ip && ix) {
        if (PyArray_SIZE(ip) != n + 1) {
            PyErr_SetString(PyExc_ValueError, "graph: indptr must have n_vertices + 1 entries");
        } else {
            rc = cperm_graph_from_csr(out, (size_t)n, PyArray_DATA(ip), PyArray_DATA(ix), err);
            if (rc) raise_err(rc, err);
        }
    }
    Py_XDECREF(ip);
    Py_XDECREF(ix);
    return rc;
}

/* ---------------------------------------------------------- graph functions */

static PyObject *py_graph_from_edges(PyObject *self, PyObject *args) {
    (void)self;
    Py_ssize_t n;
    PyObject *edges_obj;
    if (!PyArg_ParseTuple(args, "nO", &n, &edges_obj)) return NULL;
    if (n < 0) return PyErr_Format(PyExc_ValueError, "graph: negative size");
    PyArrayObject *e = as_array(edges_obj, NPY_INT64, 2, 2);
    if (!e) return NULL;
    if (PyArray_DIM(e, 1) != 2) {
        Py_DECREF(e);
        return PyErr_Format(PyExc_ValueError, "graph: edges must be (n_edges, 2)");
    }
    cperm_graph *g = NULL;
    cperm_err err = {0};
    int rc;
    Py_BEGIN_ALLOW_THREADS
    rc = cperm_graph_from_edges(&g, (size_t)n, PyArray_DATA(e), (size_t)PyArray_DIM(e, 0), &err);
    Py_END_ALLOW_THREADS
    Py_DECREF(e);
    if (rc) return raise_err(rc, &err);
    PyObject *r = graph_tuple(g);
    cperm_graph_free(g);
    return r;
}

static PyObject *py_graph_from_tris(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *tris_obj;
    Py_ssize_t n;
    int remap;
    if (!PyArg_ParseTuple(args, "Onp", &tris_obj, &n, &remap)) return NULL;
    PyArrayObject *t = as_array(tris_obj, NPY_INT32, 2, 2);
    if (!t) return NULL;
    if (PyArray_DIM(t, 1) != 3) {
        Py_DECREF(t);
        return PyErr_Format(PyExc_ValueError, "tris must be (n_tris, 3)");
    }
    cperm_graph *g = NULL;
    cperm_err err = {0};
    int rc = cperm_graph_from_tris(&g, PyArray_DATA(t), (size_t)PyArray_DIM(t, 0),
                                   n < 0 ? 0 : (size_t)n, remap, &err);
    Py_DECREF(t);
    if (rc) return raise_err(rc, &err);
    PyObject *r = graph_tuple(g);
    cperm_graph_free(g);
    return r;
}

/* combine(lengths, graphs): graphs a list with None (a lattice) or (indptr, indices). */
static PyObject *py_combine(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *lengths_obj, *graphs_obj;
    if (!PyArg_ParseTuple(args, "OO", &lengths_obj, &graphs_obj)) return NULL;
    Py_ssize_t nd = PySequence_Length(lengths_obj);
    if (nd < 1 || nd > 32 || PySequence_Length(graphs_obj) != nd)
        return PyErr_Format(PyExc_ValueError, "combine: 1 to 32 dimensions, one graph each");
    size_t lengths[32];
    cperm_graph *graphs[32] = {0};
    cperm_err err = {0};
    PyObject *result = NULL;
    int ok = 1;
    for (Py_ssize_t d = 0; d < nd && ok; d++) {
        PyObject *l = PySequence_GetItem(lengths_obj, d);
        lengths[d] = l ? PyLong_AsSize_t(l) : 0;
        Py_XDECREF(l);
        if (PyErr_Occurred()) ok = 0;
        PyObject *g = ok ? PySequence_GetItem(graphs_obj, d) : NULL;
        if (g && g != Py_None) {
            PyObject *ip = NULL, *ix = NULL;
            if (!PyArg_ParseTuple(g, "OO", &ip, &ix) ||
                graph_from_objects(&graphs[d], (Py_ssize_t)lengths[d], ip, ix, &err))
                ok = 0;
        }
        Py_XDECREF(g);
    }
    if (ok) {
        cperm_graph *out = NULL;
        int rc = cperm_graph_combine(&out, (size_t)nd, lengths,
                                     (const cperm_graph *const *)graphs, &err);
        if (rc) raise_err(rc, &err);
        else result = graph_tuple(out);
        cperm_graph_free(out);
    }
    for (Py_ssize_t d = 0; d < nd; d++) cperm_graph_free(graphs[d]);
    return result;
}

/* --------------------------------------------------------- statistics */

static PyObject *py_ttest_1samp(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *x_obj;
    double sigma;
    int method;
    if (!PyArg_ParseTuple(args, "Odi", &x_obj, &sigma, &method)) return NULL;
    PyArrayObject *x = as_array(x_obj, NPY_DOUBLE, 2, 2);
    if (!x) return NULL;
    const size_t n = (size_t)PyArray_DIM(x, 0), p = (size_t)PyArray_DIM(x, 1);
    PyObject *t = new_vector(NPY_DOUBLE, p, NULL, 0);
    cperm_err err = {0};
    int rc = 0;
    if (t) {
        Py_BEGIN_ALLOW_THREADS
        rc = cperm_ttest_1samp(PyArray_DATA((PyArrayObject *)t), PyArray_DATA(x), n, p, sigma,
                               method, &err);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(x);
    if (rc) {
        Py_XDECREF(t);
        return raise_err(rc, &err);
    }
    return t;
}

/* f_mway_rm_F(data (n_subjects, n_cells, n_points), levels, effect mask) -> F */
static PyObject *py_f_mway_rm(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *x_obj, *levels_obj;
    unsigned long effect;
    if (!PyArg_ParseTuple(args, "OOk", &x_obj, &levels_obj, &effect)) return NULL;
    PyArrayObject *x = as_array(x_obj, NPY_DOUBLE, 3, 3);
    if (!x) return NULL;
    size_t levels[CPERM_RM_MAX_FACTORS];
    Py_ssize_t nf = PySequence_Length(levels_obj);
    if (nf < 1 || nf > CPERM_RM_MAX_FACTORS) {
        Py_DECREF(x);
        return PyErr_Format(PyExc_ValueError, "f_mway_rm: 1 to %d factors",
                            CPERM_RM_MAX_FACTORS);
    }
    for (Py_ssize_t i = 0; i < nf; i++) {
        PyObject *l = PySequence_GetItem(levels_obj, i);
        levels[i] = l ? PyLong_AsSize_t(l) : 0;
        Py_XDECREF(l);
    }
    if (PyErr_Occurred()) {
        Py_DECREF(x);
        return NULL;
    }
    const size_t n = (size_t)PyArray_DIM(x, 0), p = (size_t)PyArray_DIM(x, 2);
    PyObject *F = new_vector(NPY_DOUBLE, p, NULL, 0);
    cperm_err err = {0};
    int rc = 0;
    if (F) {
        Py_BEGIN_ALLOW_THREADS
        rc = cperm_f_mway_rm(PyArray_DATA((PyArrayObject *)F), PyArray_DATA(x), n, levels,
                             (size_t)nf, (uint32_t)effect, p, &err);
        Py_END_ALLOW_THREADS
    }
    Py_DECREF(x);
    if (rc) {
        Py_XDECREF(F);
        return raise_err(rc, &err);
    }
    return F;
}

static PyObject *py_mway_effects(PyObject *self, PyObject *args) {
    (void)self;
    Py_ssize_t nf;
    const char *effects;
    if (!PyArg_ParseTuple(args, "nz", &nf, &effects)) return NULL;
    uint32_t masks[64];
    size_t n = 0;
    cperm_err err = {0};
    int rc = cperm_f_mway_effects(masks, 64, &n, nf < 0 ? 0 : (size_t)nf, effects, &err);
    if (rc) return raise_err(rc, &err);
    PyObject *l = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; l && i < n; i++) PyList_SET_ITEM(l, i, PyLong_FromUnsignedLong(masks[i]));
    return l;
}

/* permutation_t_test(X, n_permutations, tail, seed, n_jobs) -> (T_obs, p_values, H0) */
static PyObject *py_permutation_t_test(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *x_obj;
    long n_perm;
    int tail, n_jobs;
    unsigned long seed;
    if (!PyArg_ParseTuple(args, "Olkii", &x_obj, &n_perm, &seed, &tail, &n_jobs)) return NULL;
    PyArrayObject *x = as_array(x_obj, NPY_DOUBLE, 2, 2);
    if (!x) return NULL;
    const size_t n = (size_t)PyArray_DIM(x, 0), p = (size_t)PyArray_DIM(x, 1);
    cperm_err err = {0};
    size_t nh = 0;
    int rc = cperm_permutation_t_test_h0_len(&nh, NULL, n, n_perm, tail, &err);
    if (rc) {
        Py_DECREF(x);
        return raise_err(rc, &err);
    }
    PyObject *t = new_vector(NPY_DOUBLE, p, NULL, 0), *pv = new_vector(NPY_DOUBLE, p, NULL, 0);
    PyObject *h0 = new_vector(NPY_DOUBLE, nh, NULL, 0);
    if (t && pv && h0) {
        Py_BEGIN_ALLOW_THREADS
        rc = cperm_permutation_t_test(PyArray_DATA((PyArrayObject *)t),
                                      PyArray_DATA((PyArrayObject *)pv),
                                      PyArray_DATA((PyArrayObject *)h0), nh, &nh,
                                      PyArray_DATA(x), n, p, n_perm, tail, (uint32_t)seed,
                                      n_jobs, &err);
        Py_END_ALLOW_THREADS
    } else {
        rc = CPERM_ENOMEM;
    }
    Py_DECREF(x);
    if (rc) {
        Py_XDECREF(t);
        Py_XDECREF(pv);
        Py_XDECREF(h0);
        return PyErr_Occurred() ? NULL : raise_err(rc, &err);
    }
    return Py_BuildValue("(NNN)", t, pv, h0);
}

/* A multiple-comparison correction of p (any shape): (reject, p_corrected) in p's shape;
 * method < 0 is Bonferroni, otherwise FDR with that CPERM_FDR_* method. */
static PyObject *correction(PyObject *p_obj, double alpha, int method) {
    PyArrayObject *p = as_array(p_obj, NPY_DOUBLE, 0, 0);
    if (!p) return NULL;
    const size_t n = (size_t)PyArray_SIZE(p);
    PyObject *rej = PyArray_SimpleNew(PyArray_NDIM(p), PyArray_DIMS(p), NPY_BOOL);
    PyObject *pc = PyArray_SimpleNew(PyArray_NDIM(p), PyArray_DIMS(p), NPY_DOUBLE);
    cperm_err err = {0};
    int rc = CPERM_ENOMEM;
    if (rej && pc) {
        uint8_t *r = PyArray_DATA((PyArrayObject *)rej);
        double *c = PyArray_DATA((PyArrayObject *)pc);
        rc = method < 0 ? cperm_bonferroni_correction(r, c, PyArray_DATA(p), n, alpha, &err)
                        : cperm_fdr_correction(r, c, PyArray_DATA(p), n, alpha, method, &err);
    }
    Py_DECREF(p);
    if (rc) {
        Py_XDECREF(rej);
        Py_XDECREF(pc);
        return PyErr_Occurred() ? NULL : raise_err(rc, &err);
    }
    return Py_BuildValue("(NN)", rej, pc);
}

static PyObject *py_fdr(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj;
    double alpha;
    int method;
    if (!PyArg_ParseTuple(args, "Odi", &p_obj, &alpha, &method)) return NULL;
    if (method < 0) return PyErr_Format(PyExc_ValueError, "fdr: unknown method %d", method);
    return correction(p_obj, alpha, method);
}

static PyObject *py_bonferroni(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *p_obj;
    double alpha;
    if (!PyArg_ParseTuple(args, "Od", &p_obj, &alpha)) return NULL;
    return correction(p_obj, alpha, -1);
}

/* ---------------------------------------------------------- the cluster test */

/* What the engine's callbacks need while the GIL is released. */
typedef struct callbacks {
    PyObject *stat_fun;   /* called as stat_fun(block) with a (n_rows, n_points) view */
    PyObject *progress;   /* called as progress(done, total, pass) */
    PyObject *exc_type, *exc_value, *exc_tb; /* the first Python exception */
} callbacks;

static void keep_exception(callbacks *cb) {
    if (!cb->exc_type) PyErr_Fetch(&cb->exc_type, &cb->exc_value, &cb->exc_tb);
    else PyErr_Clear();
}

static int stat_trampoline(void *user, const double *X, size_t n_rows, size_t n_points,
                           double *out) {
    callbacks *cb = user;
    PyGILState_STATE g = PyGILState_Ensure();
    int rc = -1;
    npy_intp dims[2] = {(npy_intp)n_rows, (npy_intp)n_points};
    /* a view of the engine's scratch: valid for this call, which is all stat_fun sees */
    PyObject *view = PyArray_SimpleNewFromData(2, dims, NPY_DOUBLE, (void *)X);
    PyObject *res = view ? PyObject_CallFunctionObjArgs(cb->stat_fun, view, NULL) : NULL;
    PyArrayObject *arr = res ? as_array(res, NPY_DOUBLE, 0, 0) : NULL;
    if (arr) {
        if ((size_t)PyArray_SIZE(arr) != n_points) {
            PyErr_Format(PyExc_ValueError, "stat_fun returned %zd values for %zu points",
                         (Py_ssize_t)PyArray_SIZE(arr), n_points);
        } else {
            memcpy(out, PyArray_DATA(arr), n_points * sizeof(double));
            rc = 0;
        }
    }
    if (rc) keep_exception(cb);
    Py_XDECREF(arr);
    Py_XDECREF(res);
    Py_XDECREF(view);
    PyGILState_Release(g);
    return rc;
}

static int progress_trampoline(void *user, size_t done, size_t total, int pass) {
    callbacks *cb = user;
    if (!cb->progress) return 0;
    PyGILState_STATE g = PyGILState_Ensure();
    PyObject *r = PyObject_CallFunction(cb->progress, "nni", (Py_ssize_t)done,
                                        (Py_ssize_t)total, pass);
    int stop = 0;
    if (!r) {
        keep_exception(cb);
        stop = 1;
    } else {
        stop = PyObject_IsTrue(r) == 1;
    }
    if (!stop && PyErr_CheckSignals() < 0) { /* Ctrl-C stops the engine */
        keep_exception(cb);
        stop = 1;
    }
    Py_XDECREF(r);
    PyGILState_Release(g);
    return stop;
}

/* Options from a dict: every key optional, defaults as cperm_options_init. */
static int opt_double(PyObject *d, const char *key, double *v) {
    PyObject *o = PyDict_GetItemString(d, key);
    if (!o || o == Py_None) return 0;
    double x = PyFloat_AsDouble(o);
    if (x == -1.0 && PyErr_Occurred()) return -1;
    *v = x;
    return 0;
}
static int opt_long(PyObject *d, const char *key, long *v) {
    PyObject *o = PyDict_GetItemString(d, key);
    if (!o || o == Py_None) return 0;
    long x = PyLong_AsLong(o);
    if (x == -1 && PyErr_Occurred()) return -1;
    *v = x;
    return 0;
}
static int opt_int(PyObject *d, const char *key, int *v) {
    long x = *v;
    if (opt_long(d, key, &x)) return -1;
    *v = (int)x;
    return 0;
}
static int opt_size(PyObject *d, const char *key, size_t *v) {
    long x = (long)*v;
    if (opt_long(d, key, &x)) return -1;
    if (x < 0) {
        PyErr_Format(PyExc_ValueError, "%s must be >= 0", key);
        return -1;
    }
    *v = (size_t)x;
    return 0;
}
/* A list of sizes (group sizes, factor levels) into buf (cap entries). */
static int opt_sizes(PyObject *d, const char *key, size_t *buf, size_t cap, size_t *n) {
    PyObject *o = PyDict_GetItemString(d, key);
    *n = 0;
    if (!o || o == Py_None) return 0;
    Py_ssize_t len = PySequence_Length(o);
    if (len < 0) return -1;
    if ((size_t)len > cap) {
        PyErr_Format(PyExc_ValueError, "%s: at most %zu entries", key, cap);
        return -1;
    }
    for (Py_ssize_t i = 0; i < len; i++) {
        PyObject *x = PySequence_GetItem(o, i);
        buf[i] = x ? PyLong_AsSize_t(x) : 0;
        Py_XDECREF(x);
        if (PyErr_Occurred()) return -1;
    }
    *n = (size_t)len;
    return 0;
}

/* Exact TFCE's extra statistics (options.tfce_also, issue 17) as a dict: clusters (the
 * threshold clusters, int64 flat indices each) and, for each statistic asked for, "mass" /
 * "extent": a dict of stats, pvalues and h0 (float64). NULL with an exception set. */
static PyObject *also_results(const cperm_run *run, unsigned also) {
    const size_t C = cperm_run_tfce_also_n_clusters(run);
    PyObject *d = PyDict_New(), *clusters = PyList_New((Py_ssize_t)C);
    if (!d || !clusters) goto fail;
    for (size_t k = 0; k < C; k++) {
        size_t m = 0;
        const int64_t *mem = cperm_run_tfce_also_cluster(run, k, &m);
        PyObject *a = new_vector(NPY_INT64, m, mem, sizeof(int64_t));
        if (!a) goto fail;
        PyList_SET_ITEM(clusters, (Py_ssize_t)k, a);
    }
    if (PyDict_SetItemString(d, "clusters", clusters)) goto fail;
    Py_CLEAR(clusters);
    static const struct { unsigned bit; const char *name; } what[2] = {
        {CPERM_ALSO_MASS, "mass"}, {CPERM_ALSO_EXTENT, "extent"}};
    for (int i = 0; i < 2; i++) {
        if (!(also & what[i].bit)) continue;
        size_t nh = 0;
        const double *h0 = cperm_run_tfce_also_h0(run, what[i].bit, &nh);
        if (!h0) {
            PyErr_Format(PyExc_RuntimeError, "tfce_also: no %s H0 in the run", what[i].name);
            goto fail;
        }
        PyObject *one = Py_BuildValue(
            "{s:N,s:N,s:N}", "stats",
            new_vector(NPY_DOUBLE, C, cperm_run_tfce_also_stats(run, what[i].bit), sizeof(double)),
            "pvalues",
            new_vector(NPY_DOUBLE, C, cperm_run_tfce_also_pvalues(run, what[i].bit),
                       sizeof(double)),
            "h0", new_vector(NPY_DOUBLE, nh, h0, sizeof(double)));
        if (!one || PyDict_SetItemString(d, what[i].name, one)) {
            Py_XDECREF(one);
            goto fail;
        }
        Py_DECREF(one);
    }
    return d;
fail:
    Py_XDECREF(clusters);
    Py_XDECREF(d);
    return NULL;
}

/* cluster_test(X, n_times, n_vertices, indptr, indices, options, stat_fun, progress)
 *   X: (n_observations, n_points) float64, n_points = n_times x n_vertices.
 * Returns a dict: tobs, clusters (list of int64 flat indices, the engine's order),
 * cluster_stats, pvalues, h0, n_step_downs, removed (per pass), threshold, n_orders, exact,
 * tfce_map (TFCE only), also (with options' tfce_also: also_results). */
static PyObject *py_cluster_test(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *x_obj, *indptr, *indices, *opts_d, *stat_fun, *progress;
    Py_ssize_t n_times, n_vertices;
    if (!PyArg_ParseTuple(args, "OnnOOO!OO", &x_obj, &n_times, &n_vertices, &indptr, &indices,
                          &PyDict_Type, &opts_d, &stat_fun, &progress))
        return NULL;
    cperm_options o;
    cperm_options_init(&o, CPERM_OPTIONS_VERSION);
    size_t group_sizes[CPERM_MAX_GROUPS], levels[CPERM_RM_MAX_FACTORS], n_levels = 0;
    long n_perm = o.n_permutations, seed = 0, effect = 0, also = 0;
    if (opt_double(opts_d, "threshold", &o.threshold) || opt_int(opts_d, "tail", &o.tail) ||
        opt_double(opts_d, "t_power", &o.t_power) ||
        opt_long(opts_d, "n_permutations", &n_perm) || opt_long(opts_d, "seed", &seed) ||
        opt_size(opts_d, "max_step", &o.max_step) || opt_double(opts_d, "sigma", &o.sigma) ||
        opt_int(opts_d, "sigma_method", &o.sigma_method) ||
        opt_double(opts_d, "step_down_p", &o.step_down_p) ||
        opt_int(opts_d, "n_jobs", &o.n_jobs) || opt_int(opts_d, "compat", &o.compat) ||
        opt_int(opts_d, "tfce", &o.tfce) || opt_double(opts_d, "tfce_start", &o.tfce_start) ||
        opt_double(opts_d, "tfce_step", &o.tfce_step) ||
        opt_double(opts_d, "tfce_h", &o.tfce_h) || opt_double(opts_d, "tfce_e", &o.tfce_e) ||
        opt_int(opts_d, "design", &o.design) || opt_int(opts_d, "statistic", &o.statistic) ||
        opt_int(opts_d, "equal_var", &o.equal_var) ||
        opt_int(opts_d, "sequential_sums", &o.sequential_sums) ||
        opt_sizes(opts_d, "group_sizes", group_sizes, CPERM_MAX_GROUPS, &o.n_groups) ||
        opt_sizes(opts_d, "rm_factor_levels", levels, CPERM_RM_MAX_FACTORS, &n_levels) ||
        opt_long(opts_d, "rm_effect", &effect) || opt_int(opts_d, "rm_scheme", &o.rm_scheme) ||
        opt_long(opts_d, "tfce_also", &also))
        return NULL;
    o.tfce_also = (unsigned)also; /* issue 17: CPERM_ALSO_MASS | CPERM_ALSO_EXTENT */
    o.n_permutations = n_perm;
    o.seed = (uint32_t)seed;
    o.group_sizes = o.n_groups ? group_sizes : NULL;
    o.rm_n_factors = n_levels;
    o.rm_factor_levels = n_levels ? levels : NULL;
    o.rm_effect = (uint32_t)effect;

    PyArrayObject *x = NULL, *excl = NULL, *orders = NULL;
    cperm_graph *graph = NULL;
    cperm_plan *plan = NULL;
    cperm_run *run = NULL;
    PyObject *result = NULL;
    cperm_err err = {0};
    callbacks cb = {NULL, NULL, NULL, NULL, NULL};
    x = as_array(x_obj, NPY_DOUBLE, 2, 2);
    if (!x) goto done;
    const size_t n_obs = (size_t)PyArray_DIM(x, 0), P = (size_t)PyArray_DIM(x, 1);
    if (n_times < 1 || n_vertices < 1 || (size_t)n_times * (size_t)n_vertices != P) {
        PyErr_Format(PyExc_ValueError, "cluster_test: %zd x %zd points for data of %zu",
                     n_times, n_vertices, P);
        goto done;
    }
    PyObject *ex_obj = PyDict_GetItemString(opts_d, "exclude");
    if (ex_obj && ex_obj != Py_None) {
        excl = as_array(ex_obj, NPY_UINT8, 1, 1);
        if (!excl) goto done;
        if ((size_t)PyArray_SIZE(excl) != P) {
            PyErr_SetString(PyExc_ValueError, "exclude must have one entry per point");
            goto done;
        }
        o.exclude = PyArray_DATA(excl);
    }
    PyObject *ord_obj = PyDict_GetItemString(opts_d, "given_orders");
    if (ord_obj && ord_obj != Py_None) {
        const int type = o.design == CPERM_DESIGN_GROUPS ? NPY_UINT32 : NPY_UINT8;
        orders = as_array(ord_obj, type, 2, 2);
        if (!orders) goto done;
        if ((size_t)PyArray_DIM(orders, 1) != n_obs) {
            PyErr_SetString(PyExc_ValueError, "given orders must have one entry per observation");
            goto done;
        }
        o.given_orders = PyArray_DATA(orders);
        o.n_given_orders = (size_t)PyArray_DIM(orders, 0);
    }
    if (stat_fun != Py_None) {
        cb.stat_fun = stat_fun;
        o.statistic = CPERM_STAT_CALLBACK;
        o.stat_fn = stat_trampoline;
        o.stat_user = &cb;
    }
    if (progress != Py_None) {
        cb.progress = progress;
        o.progress = progress_trampoline;
        o.progress_user = &cb;
    }
    if (graph_from_objects(&graph, n_vertices, indptr, indices, &err)) goto done;
    int rc = cperm_plan_create(&plan, graph, n_obs, (size_t)n_times, &o, &err);
    if (!rc) rc = cperm_run_create(&run, plan, &err);
    if (!rc) {
        /* the GIL is released while the engine runs; callbacks take it back */
        Py_BEGIN_ALLOW_THREADS
        rc = cperm_plan_execute(plan, PyArray_DATA(x), run, &err);
        Py_END_ALLOW_THREADS
    }
    if (cb.exc_type) {
        PyErr_Restore(cb.exc_type, cb.exc_value, cb.exc_tb);
        cb.exc_type = NULL;
        goto done;
    }
    if (rc) {
        raise_err(rc, &err);
        goto done;
    }
    const size_t C = cperm_run_n_clusters(run);
    size_t nh = 0;
    const double *h0 = cperm_run_h0(run, &nh);
    PyObject *clusters = PyList_New((Py_ssize_t)C);
    for (size_t k = 0; clusters && k < C; k++) {
        size_t m = 0;
        const int64_t *mem = cperm_run_cluster(run, k, &m);
        PyObject *a = new_vector(NPY_INT64, m, mem, sizeof(int64_t));
        if (!a) {
            Py_CLEAR(clusters);
            break;
        }
        PyList_SET_ITEM(clusters, (Py_ssize_t)k, a);
    }
    const size_t S = cperm_run_n_step_downs(run);
    PyObject *removed = PyList_New((Py_ssize_t)S);
    for (size_t s = 0; removed && s < S; s++)
        PyList_SET_ITEM(removed, (Py_ssize_t)s,
                        PyLong_FromSize_t(cperm_run_step_down_removed(run, s)));
    const double *tfce = cperm_run_tfce_map(run);
    result = Py_BuildValue(
        "{s:N,s:N,s:N,s:N,s:N,s:n,s:N,s:d,s:n,s:i,s:N}", "tobs",
        new_vector(NPY_DOUBLE, P, cperm_run_tobs(run), sizeof(double)), "clusters", clusters,
        "cluster_stats", new_vector(NPY_DOUBLE, C, cperm_run_cluster_stats(run), sizeof(double)),
        "pvalues", new_vector(NPY_DOUBLE, C, cperm_run_pvalues(run), sizeof(double)), "h0",
        new_vector(NPY_DOUBLE, C ? nh : 0, h0, sizeof(double)), "n_step_downs", (Py_ssize_t)S,
        "removed", removed, "threshold", cperm_plan_threshold(plan), "n_orders",
        (Py_ssize_t)cperm_plan_n_orders(plan), "exact", cperm_plan_is_exact(plan), "tfce_map",
        tfce ? new_vector(NPY_DOUBLE, P, tfce, sizeof(double)) : (Py_INCREF(Py_None), Py_None));
    if (result && o.tfce_also) { /* issue 17: exact TFCE's extra statistics */
        PyObject *extra = also_results(run, o.tfce_also);
        if (!extra || PyDict_SetItemString(result, "also", extra)) Py_CLEAR(result);
        Py_XDECREF(extra);
    }
done:
    cperm_run_free(run);
    cperm_plan_free(plan);
    cperm_graph_free(graph);
    Py_XDECREF(x);
    Py_XDECREF(excl);
    Py_XDECREF(orders);
    return result;
}

/* effects(X (n_obs, n_points), clusters (list of int64 flat indices), kind, group_sizes,
 * equal_var, factor_levels, effect) -> (n_clusters, 11) float64: n_points, mean, mean_lo,
 * mean_hi, d, d_lo, d_hi, eta2_p, stat, df1, df2 (cperm_effect_compute, or
 * cperm_cluster_effects' formulas for RM through one call per cluster set). */
static PyObject *py_effects(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *x_obj, *clusters, *sizes_obj, *levels_obj;
    int kind, equal_var;
    unsigned long effect;
    if (!PyArg_ParseTuple(args, "OOiOpOk", &x_obj, &clusters, &kind, &sizes_obj, &equal_var,
                          &levels_obj, &effect))
        return NULL;
    PyArrayObject *x = as_array(x_obj, NPY_DOUBLE, 2, 2);
    if (!x) return NULL;
    size_t sizes[CPERM_MAX_GROUPS], levels[CPERM_RM_MAX_FACTORS];
    size_t n_sizes = 0, n_levels = 0;
    PyObject *d = PyDict_New();
    PyObject *result = NULL;
    double *work = NULL;
    if (!d) goto done;
    PyDict_SetItemString(d, "s", sizes_obj);
    PyDict_SetItemString(d, "l", levels_obj);
    if (opt_sizes(d, "s", sizes, CPERM_MAX_GROUPS, &n_sizes) ||
        opt_sizes(d, "l", levels, CPERM_RM_MAX_FACTORS, &n_levels))
        goto done;
    cperm_effect_design design = {kind, n_sizes, n_sizes ? sizes : NULL, equal_var,
                                  n_levels ? levels : NULL, n_levels, (uint32_t)effect};
    const size_t n_obs = (size_t)PyArray_DIM(x, 0), P = (size_t)PyArray_DIM(x, 1);
    Py_ssize_t C = PySequence_Length(clusters);
    if (C < 0) goto done;
    npy_intp dims[2] = {C, 11};
    result = PyArray_ZEROS(2, dims, NPY_DOUBLE, 0);
    work = malloc((n_obs ? n_obs : 1) * sizeof(double));
    if (!result || !work) {
        Py_CLEAR(result);
        PyErr_NoMemory();
        goto done;
    }
    double *out = PyArray_DATA((PyArrayObject *)result);
    for (Py_ssize_t k = 0; k < C; k++) {
        PyObject *c = PySequence_GetItem(clusters, k);
        PyArrayObject *m = c ? as_array(c, NPY_INT64, 1, 1) : NULL;
        Py_XDECREF(c);
        if (!m) {
            Py_CLEAR(result);
            goto done;
        }
        cperm_effect e;
        cperm_err err = {0};
        int rc = cperm_effect_compute(&e, PyArray_DATA(x), n_obs, P, PyArray_DATA(m),
                                      (size_t)PyArray_SIZE(m), &design, work, &err);
        Py_DECREF(m);
        if (rc) {
            Py_CLEAR(result);
            raise_err(rc, &err);
            goto done;
        }
        double row[11] = {(double)e.n_points, e.mean, e.mean_lo, e.mean_hi, e.d, e.d_lo,
                          e.d_hi, e.eta2_p, e.stat, e.df1, e.df2};
        memcpy(out + 11 * k, row, sizeof row);
    }
done:
    free(work);
    Py_XDECREF(d);
    Py_DECREF(x);
    return result;
}

static PyMethodDef methods[] = {
    {"cluster_test", py_cluster_test, METH_VARARGS, "The cluster permutation test."},
    {"graph_from_edges", py_graph_from_edges, METH_VARARGS, "CSR of an edge list."},
    {"graph_from_tris", py_graph_from_tris, METH_VARARGS, "CSR of a triangulation."},
    {"combine", py_combine, METH_VARARGS, "combine_adjacency as CSR."},
    {"ttest_1samp", py_ttest_1samp, METH_VARARGS, "ttest_1samp_no_p."},
    {"f_mway_rm", py_f_mway_rm, METH_VARARGS, "The F of one repeated-measures effect."},
    {"mway_effects", py_mway_effects, METH_VARARGS, "Effect masks of an effects string."},
    {"permutation_t_test", py_permutation_t_test, METH_VARARGS, "max-T."},
    {"fdr", py_fdr, METH_VARARGS, "fdr_correction."},
    {"bonferroni", py_bonferroni, METH_VARARGS, "bonferroni_correction."},
    {"effects", py_effects, METH_VARARGS, "Effect sizes of clusters."},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_cperm",
                                    "clusterperm's C engine (use the clusterperm package).", -1,
                                    methods, NULL, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__cperm(void) {
    import_array();
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    PyModule_AddStringConstant(m, "version", cperm_version());
    PyModule_AddIntConstant(m, "PERMUTATIONS_ALL", (long)CPERM_PERMUTATIONS_ALL);
    PyModule_AddIntConstant(m, "ALSO_MASS", CPERM_ALSO_MASS); /* issue 17 */
    PyModule_AddIntConstant(m, "ALSO_EXTENT", CPERM_ALSO_EXTENT);
    PyModule_AddIntConstant(m, "DESIGN_SIGN_FLIP", CPERM_DESIGN_SIGN_FLIP);
    PyModule_AddIntConstant(m, "DESIGN_GROUPS", CPERM_DESIGN_GROUPS);
    PyModule_AddIntConstant(m, "STAT_T_1SAMP", CPERM_STAT_T_1SAMP);
    PyModule_AddIntConstant(m, "STAT_F_ONEWAY", CPERM_STAT_F_ONEWAY);
    PyModule_AddIntConstant(m, "STAT_T_IND", CPERM_STAT_T_IND);
    PyModule_AddIntConstant(m, "STAT_F_MWAY_RM", CPERM_STAT_F_MWAY_RM);
    PyModule_AddIntConstant(m, "RM_WITHIN", CPERM_RM_WITHIN);
    PyModule_AddIntConstant(m, "RM_MNE", CPERM_RM_MNE);
    PyModule_AddIntConstant(m, "COMPAT_NONE", CPERM_COMPAT_NONE);
    PyModule_AddIntConstant(m, "COMPAT_MNE13", CPERM_COMPAT_MNE13);
    PyModule_AddIntConstant(m, "TFCE_NONE", CPERM_TFCE_NONE);
    PyModule_AddIntConstant(m, "TFCE_EXACT", CPERM_TFCE_EXACT);
    PyModule_AddIntConstant(m, "TFCE_MNE13", CPERM_TFCE_MNE13);
    PyModule_AddIntConstant(m, "TFCE_RIEMANN", CPERM_TFCE_RIEMANN);
    PyModule_AddIntConstant(m, "SIGMA_RELATIVE", CPERM_SIGMA_RELATIVE);
    PyModule_AddIntConstant(m, "SIGMA_ABSOLUTE", CPERM_SIGMA_ABSOLUTE);
    PyModule_AddIntConstant(m, "FDR_INDEP", CPERM_FDR_INDEP);
    PyModule_AddIntConstant(m, "FDR_NEGCORR", CPERM_FDR_NEGCORR);
    PyModule_AddIntConstant(m, "EFFECT_ONESAMPLE", CPERM_EFFECT_ONESAMPLE);
    PyModule_AddIntConstant(m, "EFFECT_TWO_GROUPS", CPERM_EFFECT_TWO_GROUPS);
    PyModule_AddIntConstant(m, "EFFECT_GROUPS_F", CPERM_EFFECT_GROUPS_F);
    return m;
}
