/* fdist.c - the F distribution as scipy 1.10 computes it (cephes fdtr/fdtri) and MNE's F
 * thresholds. */
/*
 * scipy.stats.f.cdf and .ppf call scipy.special.fdtr and fdtri, which in scipy 1.10 are
 * Moshier's Cephes routines (not cdflib's cdff: that is what stats.ncf uses). fdtri inverts
 * the incomplete beta by interval halving and a few Newton steps, so its answer depends on
 * every intermediate rounding; to land on scipy's double we evaluate the same expressions in
 * the same order (the build uses -ffp-contract=off, and libm's log/exp/pow are the ones scipy
 * calls on this platform). Only branches reachable with positive shape parameters are here:
 * the reflection formulas of Gamma and log Gamma for negative arguments are not.
 */
#include "common_internal.h"

#include <math.h>
#include <stdint.h>

/* Cephes' constants (scipy's const.c with UNK and DENORMAL): 2^-53, log(DBL_MAX),
 * log(2^-1075), and the largest argument of Gamma that does not overflow. */
#define CE_MACHEP 1.11022302462515654042E-16
#define CE_MAXLOG 7.09782712893383996732E2
#define CE_MINLOG -7.451332191019412076235E2
#define CE_MAXGAM 171.624376956302725

/* ----------------------------------------------------------------- polynomials */

/* c[0] x^n + ... + c[n], Horner from the leading coefficient (cephes polevl). */
static double horner(double x, const double *c, int n) {
    double r = c[0];
    for (int i = 1; i <= n; i++) r = r * x + c[i];
    return r;
}

/* x^n + c[0] x^(n-1) + ... + c[n-1]: the same with an implied leading 1 (cephes p1evl). */
static double horner_monic(double x, const double *c, int n) {
    double r = x + c[0];
    for (int i = 1; i < n; i++) r = r * x + c[i];
    return r;
}

/* -------------------------------------------------------------------- Gamma */

/* Stirling's series for Gamma(x), 33 < x. Above 143 x^(x - 1/2) overflows alone, so it is
 * taken as a square. */
static double gamma_stirling(double x) {
    static const double s[5] = {7.87311395793093628397E-4, -2.29549961613378126380E-4,
                                -2.68132617805781232825E-3, 3.47222221605458667310E-3,
                                8.33333333333482257126E-2};
    double w, y, v;
    if (x >= CE_MAXGAM) return INFINITY;
    w = 1.0 / x;
    w = 1.0 + w * horner(w, s, 4);
    y = exp(x);
    if (x > 143.01608) {
        v = pow(x, 0.5 * x - 0.25);
        y = v * (v / y);
    } else {
        y = pow(x, x - 0.5) / y;
    }
    return 2.50662827463100050242E0 * y * w;
}

/* Gamma(x) for x > 0 (or not finite: returned as is, as cephes does). */
static double gamma_pos(double x) {
    static const double p[7] = {1.60119522476751861407E-4, 1.19135147006586384913E-3,
                                1.04213797561761569935E-2, 4.76367800457137231464E-2,
                                2.07448227648435975150E-1, 4.94214826801497100753E-1,
                                9.99999999999999996796E-1};
    static const double q[8] = {-2.31581873324120129819E-5, 5.39605580493303397842E-4,
                                -4.45641913851797240494E-3, 1.18139785222060435552E-2,
                                3.58236398605498653373E-2, -2.34591795718243348568E-1,
                                7.14304917030273074085E-2, 1.00000000000000000320E0};
    double z = 1.0;
    if (!isfinite(x)) return x;
    if (fabs(x) > 33.0) return gamma_stirling(x);
    /* shift x into [2, 3), accumulating the factors of Gamma(x + 1) = x Gamma(x) */
    while (x >= 3.0) {
        x -= 1.0;
        z *= x;
    }
    while (x < 2.0) {
        if (x < 1.e-9) return z / ((1.0 + 0.5772156649015329 * x) * x);
        z /= x;
        x += 1.0;
    }
    if (x == 2.0) return z;
    x -= 2.0;
    return z * horner(x, p, 6) / horner(x, q, 7);
}

/* ln Gamma(x) for x > 0 (cephes lgam_sgn; the sign is always +1 here). */
static double lgamma_pos(double x) {
    static const double a[5] = {8.11614167470508450300E-4, -5.95061904284301438324E-4,
                                7.93650340457716943945E-4, -2.77777777730099687205E-3,
                                8.33333333333331927722E-2};
    static const double b[6] = {-1.37825152569120859100E3, -3.88016315134637840924E4,
                                -3.31612992738871184744E5, -1.16237097492762307383E6,
                                -1.72173700820839662146E6, -8.53555664245765465627E5};
    static const double c[6] = {-3.51815701436523470549E2, -1.70642106651881159223E4,
                                -2.20528590553854454839E5, -1.13933444367982507207E6,
                                -2.53252307177582951285E6, -2.01889141433532773231E6};
    double p, q, u, z;
    if (!isfinite(x)) return x;
    if (x < 13.0) {
        /* the same shift into [2, 3) as gamma_pos, but u is recomputed from x each step */
        z = 1.0;
        p = 0.0;
        u = x;
        while (u >= 3.0) {
            p -= 1.0;
            u = x + p;
            z *= u;
        }
        while (u < 2.0) {
            if (u == 0.0) return INFINITY;
            z /= u;
            p += 1.0;
            u = x + p;
        }
        if (u == 2.0) return log(z);
        p -= 2.0;
        x = x + p;
        p = x * horner(x, b, 5) / horner_monic(x, c, 6);
        return log(z) + p;
    }
    if (x > 2.556348e305) return INFINITY;
    q = (x - 0.5) * log(x) - x + 0.91893853320467274178;
    if (x > 1.0e8) return q;
    p = 1.0 / (x * x);
    if (x >= 1000.0)
        q += ((7.9365079365079365079365e-4 * p - 2.7777777777777777777778e-3) * p +
              0.0833333333333333333333) / x;
    else
        q += horner(p, a, 4) / x;
    return q;
}

/* ---------------------------------------------------------------------- Beta */

/* ln B(a, b) for a >> b (a > 1e6 b and a > 1e6), where lgamma(a + b) - lgamma(a) would cancel. */
static double lbeta_asymptotic(double a, double b) {
    double r = lgamma_pos(b);
    r -= b * log(a);
    r += b * (1 - b) / (2 * a);
    r += b * (1 - b) * (1 - 2 * b) / (12 * a * a);
    r += -b * b * (1 - b) * (1 - b) / (12 * a * a * a);
    return r;
}

/* Gamma(y), Gamma(a), Gamma(b) combined as cephes does: divide first by the factor whose
 * size is closer to Gamma(a + b)'s. Returns 0 where Gamma(a + b) is 0 (overflow). */
static double beta_by_gammas(double a, double b) {
    double y = gamma_pos(a + b), ga = gamma_pos(a), gb = gamma_pos(b);
    if (y == 0.0) return 0.0;
    if (fabs(fabs(ga) - fabs(y)) > fabs(fabs(gb) - fabs(y))) {
        y = gb / y;
        y *= ga;
    } else {
        y = ga / y;
        y *= gb;
    }
    return y;
}

/* The larger argument first, as both of cephes' beta and lbeta arrange them. */
static void beta_order(double *a, double *b) {
    if (fabs(*a) < fabs(*b)) {
        double t = *a;
        *a = *b;
        *b = t;
    }
}

/* ln(Gamma(a + b) - ...) by log Gammas when any Gamma would overflow. */
static double lbeta_by_lgammas(double a, double b) {
    double y = lgamma_pos(a + b);
    y = lgamma_pos(b) - y;
    return lgamma_pos(a) + y;
}

/* B(a, b) for a, b > 0 (cephes beta). */
static double beta_pos(double a, double b) {
    double y;
    beta_order(&a, &b);
    if (fabs(a) > 1e6 * fabs(b) && a > 1e6) return exp(lbeta_asymptotic(a, b));
    if (fabs(a + b) > CE_MAXGAM || fabs(a) > CE_MAXGAM || fabs(b) > CE_MAXGAM) {
        y = lbeta_by_lgammas(a, b);
        return y > CE_MAXLOG ? INFINITY : exp(y);
    }
    y = beta_by_gammas(a, b);
    return y == 0.0 ? INFINITY : y;
}

/* ln B(a, b) for a, b > 0 (cephes lbeta). */
static double lbeta_pos(double a, double b) {
    double y;
    beta_order(&a, &b);
    if (fabs(a) > 1e6 * fabs(b) && a > 1e6) return lbeta_asymptotic(a, b);
    if (fabs(a + b) > CE_MAXGAM || fabs(a) > CE_MAXGAM || fabs(b) > CE_MAXGAM)
        return lbeta_by_lgammas(a, b);
    y = beta_by_gammas(a, b);
    if (y == 0.0) return INFINITY;
    return log(fabs(y));
}

/* ------------------------------------------------------- the normal quantile */

/* Inverse of the standard normal CDF (cephes ndtri), for 0 < y < 1. */
static double normal_quantile(double y0) {
    static const double p0[5] = {-5.99633501014107895267E1, 9.80010754185999661536E1,
                                 -5.66762857469070293439E1, 1.39312609387279679503E1,
                                 -1.23916583867381258016E0};
    static const double q0[8] = {1.95448858338141759834E0, 4.67627912898881538453E0,
                                 8.63602421390890590575E1, -2.25462687854119370527E2,
                                 2.00260212380060660359E2, -8.20372256168333339912E1,
                                 1.59056225126211695515E1, -1.18331621121330003142E0};
    static const double p1[9] = {4.05544892305962419923E0, 3.15251094599893866154E1,
                                 5.71628192246421288162E1, 4.40805073893200834700E1,
                                 1.46849561928858024014E1, 2.18663306850790267539E0,
                                 -1.40256079171354495875E-1, -3.50424626827848203418E-2,
                                 -8.57456785154685413611E-4};
    static const double q1[8] = {1.57799883256466749731E1, 4.53907635128879210584E1,
                                 4.13172038254672030440E1, 1.50425385692907503408E1,
                                 2.50464946208309415979E0, -1.42182922854787788574E-1,
                                 -3.80806407691578277194E-2, -9.33259480895457427372E-4};
    static const double p2[9] = {3.23774891776946035970E0, 6.91522889068984211695E0,
                                 3.93881025292474443415E0, 1.33303460815807542389E0,
                                 2.01485389549179081538E-1, 1.23716634817820021358E-2,
                                 3.01581553508235416007E-4, 2.65806974686737550832E-6,
                                 6.23974539184983293730E-9};
    static const double q2[8] = {6.02427039364742014255E0, 3.67983563856160859403E0,
                                 1.37702099489081330271E0, 2.16236993594496635890E-1,
                                 1.34204006088543189037E-2, 3.28014464682127739104E-4,
                                 2.89247864745380683936E-6, 6.79019408009981274425E-9};
    const double exp_m2 = 0.13533528323661269189; /* the central region is |y - 1/2| < 1/2 - e^-2 */
    double x, y = y0, y2, z, x0, x1;
    int lower = 1;
    if (y0 == 0.0) return -INFINITY;
    if (y0 == 1.0) return INFINITY;
    if (y > (1.0 - exp_m2)) {
        y = 1.0 - y;
        lower = 0;
    }
    if (y > exp_m2) {
        y = y - 0.5;
        y2 = y * y;
        x = y + y * (y2 * horner(y2, p0, 4) / horner_monic(y2, q0, 8));
        return x * 2.50662827463100050242E0;
    }
    x = sqrt(-2.0 * log(y));
    x0 = x - log(x) / x;
    z = 1.0 / x;
    if (x < 8.0)
        x1 = z * horner(z, p1, 8) / horner_monic(z, q1, 8);
    else
        x1 = z * horner(z, p2, 8) / horner_monic(z, q2, 8);
    x = x0 - x1;
    return lower ? -x : x;
}

/* ------------------------------------------------- the incomplete beta integral */

/* The two continued fractions of cephes (incbcf: z = x, k2 = a + b rising, k6 = b - 1
 * falling; incbd: z = x / (1 - x), k2 = b - 1 falling, k6 = a + b rising) differ only in
 * those two sequences, so one loop serves both. At most 300 pairs of terms. */
static double beta_cfrac(double a, double z, double k2, double k2_step, double k6,
                         double k6_step) {
    const double big = 4.503599627370496e15, biginv = 2.22044604925031308085e-16;
    const double thresh = 3.0 * CE_MACHEP;
    double k1 = a, k3 = a, k4 = a + 1.0, k5 = 1.0, k7 = a + 1.0, k8 = a + 2.0;
    double pkm2 = 0.0, qkm2 = 1.0, pkm1 = 1.0, qkm1 = 1.0, ans = 1.0, r = 1.0;
    double xk, pk, qk, t;
    int n = 0;
    do {
        xk = -(z * k1 * k2) / (k3 * k4);
        pk = pkm1 + pkm2 * xk;
        qk = qkm1 + qkm2 * xk;
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;

        xk = (z * k5 * k6) / (k7 * k8);
        pk = pkm1 + pkm2 * xk;
        qk = qkm1 + qkm2 * xk;
        pkm2 = pkm1;
        pkm1 = pk;
        qkm2 = qkm1;
        qkm1 = qk;

        if (qk != 0) r = pk / qk;
        if (r != 0) {
            t = fabs((ans - r) / r);
            ans = r;
        } else {
            t = 1.0;
        }
        if (t < thresh) break;

        k1 += 1.0;
        k2 += k2_step;
        k3 += 2.0;
        k4 += 2.0;
        k5 += 1.0;
        k6 += k6_step;
        k7 += 2.0;
        k8 += 2.0;
        /* rescale by 2^+-52, exactly, to keep the convergents in range */
        if ((fabs(qk) + fabs(pk)) > big) {
            pkm2 *= biginv;
            pkm1 *= biginv;
            qkm2 *= biginv;
            qkm1 *= biginv;
        }
        if ((fabs(qk) < biginv) || (fabs(pk) < biginv)) {
            pkm2 *= big;
            pkm1 *= big;
            qkm2 *= big;
            qkm1 *= big;
        }
    } while (++n < 300);
    return ans;
}

/* Power series for I_x(a, b), for b x <= 1 and x <= 0.95. */
static double beta_series(double a, double b, double x) {
    double s = 0.0, t, u, v, n = 2.0, t1, z, ai = 1.0 / a;
    u = (1.0 - b) * x;
    v = u / (a + 1.0);
    t1 = v;
    t = u;
    z = CE_MACHEP * ai;
    while (fabs(v) > z) {
        u = (n - b) * x / n;
        t *= u;
        v = t / (a + n);
        s += v;
        n += 1.0;
    }
    s += t1;
    s += ai;
    u = a * log(x);
    if ((a + b) < CE_MAXGAM && fabs(u) < CE_MAXLOG) {
        t = 1.0 / beta_pos(a, b);
        return s * t * pow(x, a);
    }
    t = -lbeta_pos(a, b) + u + log(s);
    return t < CE_MINLOG ? 0.0 : exp(t);
}

/* The regularized incomplete beta I_x(a, b) (cephes incbet). NaN outside a, b > 0 and
 * 0 <= x <= 1. Evaluated on whichever side of the mean converges faster. */
static double incbeta(double aa, double bb, double xx) {
    double a, b, t, x, xc, w, y;
    int flip = 0;
    if (aa <= 0.0 || bb <= 0.0) return NAN;
    if (xx <= 0.0 || xx >= 1.0) {
        if (xx == 0.0) return 0.0;
        if (xx == 1.0) return 1.0;
        return NAN;
    }
    if ((bb * xx) <= 1.0 && xx <= 0.95) return beta_series(aa, bb, xx);

    w = 1.0 - xx;
    if (xx > (aa / (aa + bb))) { /* work with 1 - I_{1-x}(b, a) */
        flip = 1;
        a = bb;
        b = aa;
        xc = xx;
        x = w;
    } else {
        a = aa;
        b = bb;
        xc = w;
        x = xx;
    }
    if (flip && (b * x) <= 1.0 && x <= 0.95) {
        t = beta_series(a, b, x);
    } else {
        y = x * (a + b - 2.0) - (a - 1.0);
        if (y < 0.0)
            w = beta_cfrac(a, x, a + b, 1.0, b - 1.0, -1.0);
        else
            w = beta_cfrac(a, x / (1.0 - x), b - 1.0, -1.0, a + b, 1.0) / xc;
        /* times x^a (1-x)^b / (a B(a, b)), through logarithms when a power would not fit */
        y = a * log(x);
        t = b * log(xc);
        if ((a + b) < CE_MAXGAM && fabs(y) < CE_MAXLOG && fabs(t) < CE_MAXLOG) {
            t = pow(xc, b);
            t *= pow(x, a);
            t /= a;
            t *= w;
            t *= 1.0 / beta_pos(a, b);
        } else {
            y += t - lbeta_pos(a, b);
            y += log(w / a);
            t = y < CE_MINLOG ? 0.0 : exp(y);
        }
    }
    if (flip) t = t <= CE_MACHEP ? 1.0 - CE_MACHEP : 1.0 - t;
    return t;
}

/* ------------------------------------------- the inverse incomplete beta integral */

/* The search of cephes incbi: a bracket [x0, x1] with I at its ends yl, yh, the target y0
 * of I(a, b, x), and whether (a, b, y0) are the reflected (b, a, 1 - y0) of the caller's. */
typedef struct {
    double aa, bb, yy0; /* the caller's problem */
    double a, b, y0;    /* the problem being solved (reflected when rflg) */
    double x, y, x0, x1, yl, yh, dithresh;
    int rflg;
} ibeta_search;

enum { IB_HALVE, IB_NEWTON, IB_UNDERFLOW, IB_DONE };

/* Swap to the complementary problem I(b, a, 1 - x) = 1 - y0, or back. */
static void ib_reflect(ibeta_search *s) {
    if (s->rflg) {
        s->rflg = 0;
        s->a = s->aa;
        s->b = s->bb;
        s->y0 = s->yy0;
    } else {
        s->rflg = 1;
        s->a = s->bb;
        s->b = s->aa;
        s->y0 = 1.0 - s->yy0;
    }
}

/* Interval halving, with a step fraction di that grows while the root stays on one side.
 * Starts from the current (x, y). Returns the next stage. */
static int ib_halve(ibeta_search *s) {
    double di, yp;
    int dir;
restart:
    dir = 0;
    di = 0.5;
    for (int i = 0; i < 100; i++) {
        if (i != 0) {
            s->x = s->x0 + di * (s->x1 - s->x0);
            if (s->x == 1.0) s->x = 1.0 - CE_MACHEP;
            if (s->x == 0.0) {
                di = 0.5;
                s->x = s->x0 + di * (s->x1 - s->x0);
                if (s->x == 0.0) return IB_UNDERFLOW;
            }
            s->y = incbeta(s->a, s->b, s->x);
            yp = (s->x1 - s->x0) / (s->x1 + s->x0);
            if (fabs(yp) < s->dithresh) return IB_NEWTON;
            yp = (s->y - s->y0) / s->y0;
            if (fabs(yp) < s->dithresh) return IB_NEWTON;
        }
        if (s->y < s->y0) {
            s->x0 = s->x;
            s->yl = s->y;
            if (dir < 0) {
                dir = 0;
                di = 0.5;
            } else if (dir > 3) {
                di = 1.0 - (1.0 - di) * (1.0 - di);
            } else if (dir > 1) {
                di = 0.5 * di + 0.5;
            } else {
                di = (s->y0 - s->y) / (s->yh - s->yl);
            }
            dir += 1;
            if (s->x0 > 0.75) { /* the root is near 1: continue on the complementary problem */
                ib_reflect(s);
                s->x = 1.0 - s->x;
                s->y = incbeta(s->a, s->b, s->x);
                s->x0 = 0.0;
                s->yl = 0.0;
                s->x1 = 1.0;
                s->yh = 1.0;
                goto restart;
            }
        } else {
            s->x1 = s->x;
            if (s->rflg == 1 && s->x1 < CE_MACHEP) {
                s->x = 0.0;
                return IB_DONE;
            }
            s->yh = s->y;
            if (dir > 0) {
                dir = 0;
                di = 0.5;
            } else if (dir < -3) {
                di = di * di;
            } else if (dir < -1) {
                di = 0.5 * di;
            } else {
                di = (s->y - s->y0) / (s->yh - s->yl);
            }
            dir -= 1;
        }
    }
    /* no convergence in 100 halvings (scipy flags a loss of precision and goes on) */
    if (s->x0 >= 1.0) {
        s->x = 1.0 - CE_MACHEP;
        return IB_DONE;
    }
    if (s->x <= 0.0) return IB_UNDERFLOW;
    return IB_NEWTON;
}

/* Up to 8 Newton steps kept inside the bracket. Returns IB_DONE when converged, else
 * IB_HALVE with a tighter tolerance. Note that a step clipped at the bracket leaves a
 * fraction in y, which the halving then starts from: cephes does the same. */
static int ib_newton(ibeta_search *s) {
    double lgm = lgamma_pos(s->a + s->b) - lgamma_pos(s->a) - lgamma_pos(s->b), d, xt;
    for (int i = 0; i < 8; i++) {
        if (i != 0) s->y = incbeta(s->a, s->b, s->x);
        if (s->y < s->yl) {
            s->x = s->x0;
            s->y = s->yl;
        } else if (s->y > s->yh) {
            s->x = s->x1;
            s->y = s->yh;
        } else if (s->y < s->y0) {
            s->x0 = s->x;
            s->yl = s->y;
        } else {
            s->x1 = s->x;
            s->yh = s->y;
        }
        if (s->x == 1.0 || s->x == 0.0) break;
        /* the density x^(a-1) (1-x)^(b-1) / B(a, b) */
        d = (s->a - 1.0) * log(s->x) + (s->b - 1.0) * log(1.0 - s->x) + lgm;
        if (d < CE_MINLOG) return IB_DONE;
        if (d > CE_MAXLOG) break;
        d = exp(d);
        d = (s->y - s->y0) / d;
        xt = s->x - d;
        if (xt <= s->x0) {
            s->y = (s->x - s->x0) / (s->x1 - s->x0);
            xt = s->x0 + 0.5 * s->y * (s->x - s->x0);
            if (xt <= 0.0) break;
        }
        if (xt >= s->x1) {
            s->y = (s->x1 - s->x) / (s->x1 - s->x0);
            xt = s->x1 - 0.5 * s->y * (s->x1 - s->x);
            if (xt >= 1.0) break;
        }
        s->x = xt;
        if (fabs(d / s->x) < 128.0 * CE_MACHEP) return IB_DONE;
    }
    s->dithresh = 256.0 * CE_MACHEP;
    return IB_HALVE;
}

/* x with I_x(aa, bb) = yy0 (cephes incbi), for aa, bb > 0. */
static double incbeta_inv(double aa, double bb, double yy0) {
    ibeta_search s;
    double yp, lgm, d;
    int stage, newton_done = 0;
    if (yy0 <= 0) return 0.0;
    if (yy0 >= 1.0) return 1.0;
    s.aa = aa;
    s.bb = bb;
    s.yy0 = yy0;
    s.x0 = 0.0;
    s.yl = 0.0;
    s.x1 = 1.0;
    s.yh = 1.0;
    s.rflg = 0;
    s.a = aa;
    s.b = bb;
    s.y0 = yy0;
    if (aa <= 1.0 || bb <= 1.0) { /* halve from the mean */
        s.dithresh = 1.0e-6;
        s.x = s.a / (s.a + s.b);
        s.y = incbeta(s.a, s.b, s.x);
        stage = IB_HALVE;
    } else { /* start from a normal approximation (A&S 26.5.22), on the side of y0 <= 1/2 */
        s.dithresh = 1.0e-4;
        yp = -normal_quantile(yy0);
        if (yy0 > 0.5) {
            ib_reflect(&s);
            yp = -yp;
        }
        lgm = (yp * yp - 3.0) / 6.0;
        s.x = 2.0 / (1.0 / (2.0 * s.a - 1.0) + 1.0 / (2.0 * s.b - 1.0));
        d = yp * sqrt(s.x + lgm) / s.x -
            (1.0 / (2.0 * s.b - 1.0) - 1.0 / (2.0 * s.a - 1.0)) * (lgm + 5.0 / 6.0 - 2.0 / (3.0 * s.x));
        d = 2.0 * d;
        if (d < CE_MINLOG) {
            stage = IB_UNDERFLOW;
        } else {
            s.x = s.a / (s.a + s.b * exp(d));
            s.y = incbeta(s.a, s.b, s.x);
            yp = (s.y - s.y0) / s.y0;
            stage = fabs(yp) < 0.2 ? IB_NEWTON : IB_HALVE;
        }
    }
    while (stage != IB_DONE) {
        if (stage == IB_HALVE) {
            stage = ib_halve(&s);
        } else if (stage == IB_NEWTON) {
            if (newton_done) break; /* Newton runs once; a second arrival ends the search */
            newton_done = 1;
            stage = ib_newton(&s);
        } else { /* IB_UNDERFLOW */
            s.x = 0.0;
            stage = IB_DONE;
        }
    }
    if (s.rflg) s.x = s.x <= CE_MACHEP ? 1.0 - CE_MACHEP : 1.0 - s.x;
    return s.x;
}

/* ------------------------------------------------------------- the public side */

double cperm_f_cdf(double f, double dfn, double dfd) {
    double w;
    /* scipy's rv_continuous.cdf: NaN for bad shapes or x, 0 at and below the support's
     * lower end 0, 1 at +inf; fdtr only strictly inside */
    if (isnan(f) || !(dfn > 0.0) || !(dfd > 0.0)) return NAN;
    if (f <= 0.0) return 0.0;
    if (isinf(f)) return 1.0;
    w = dfn * f;
    w = w / (dfd + w);
    return incbeta(0.5 * dfn, 0.5 * dfd, w);
}

double cperm_f_ppf(double p, double dfn, double dfd) {
    double y, w;
    if (isnan(p) || !(dfn > 0.0) || !(dfd > 0.0) || p < 0.0 || p > 1.0) return NAN;
    if (p == 0.0) return 0.0;
    if (p == 1.0) return INFINITY;
    /* fdtri: invert on the side where 1 - z (or z) does not cancel; z = 1/2 is x = dfd/dfn */
    y = 1.0 - p;
    w = incbeta(0.5 * dfd, 0.5 * dfn, 0.5);
    if (w > y || y < 0.001) {
        w = incbeta_inv(0.5 * dfd, 0.5 * dfn, y);
        return (dfd - dfd * w) / (dfn * w);
    }
    w = incbeta_inv(0.5 * dfn, 0.5 * dfd, 1.0 - y);
    return dfd * w / (dfn * (1.0 - w));
}

double cperm_f_threshold(double p, double dfn, double dfd) {
    /* permutation_cluster_test, threshold=None: stats.f.ppf(1. - p_thresh, dfn, dfd); and
     * f(dfn, dfd).isf(p) of f_threshold_mway_rm is rv_continuous._ppf(1.0 - p), the same */
    return cperm_f_ppf(1.0 - p, dfn, dfd);
}
