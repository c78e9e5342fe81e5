#ifndef FERCORE_COPENBLAS_SHIM_H
#define FERCORE_COPENBLAS_SHIM_H
// Debian's libopenblas-dev puts cblas.h under an alternatives-managed include
// directory that pkg-config (`openblas`) adds to the search path.
#include <cblas.h>

// Declared by OpenBLAS's cblas.h on most builds; repeated here so the shim does
// not depend on the header variant.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char *openblas_get_corename(void);
#endif
