/* fuzz_npy.c - libFuzzer target: one .npy file from memory (cperm_npy_read_mem); what is
 * read must be self-consistent: the size is the product of the shape, every value readable. */
#include "clusterperm.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cperm_npy *arr = NULL;
    cperm_err err = {0};
    if (cperm_npy_read_mem(&arr, data, size, "fuzz.npy", &err) != 0) {
        /* a failure must leave a message and no object */
        FUZZ_CHECK(!arr && err.msg[0] && err.code < 0);
        return 0;
    }
    FUZZ_CHECK(arr && arr->data && arr->ndim <= CPERM_NPY_MAX_DIMS);
    size_t items = 1;
    for (size_t d = 0; d < arr->ndim; d++) items *= arr->shape[d];
    for (size_t d = arr->ndim; d < CPERM_NPY_MAX_DIMS; d++) FUZZ_CHECK(arr->shape[d] == 0);
    FUZZ_CHECK(items == arr->size);
    volatile double sum = 0;
    for (size_t k = 0; k < arr->size; k++) sum += arr->data[k];
    (void)sum;
    cperm_npy_free(arr);
    return 0;
}
