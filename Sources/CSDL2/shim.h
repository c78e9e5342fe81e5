#ifndef FERCORE_CSDL2_SHIM_H
#define FERCORE_CSDL2_SHIM_H
// SDL2 for ferdemo's window (never used by the FERCore library).
// Included by path (not through pkg-config: `sdl2.pc` adds -D_REENTRANT, which SwiftPM
// rejects with a warning); Debian puts the headers in /usr/include/SDL2.
#include <SDL2/SDL.h>

// Function-like macros Swift cannot import.
static inline int fercore_sdl_windowpos_centered(void) { return (int)SDL_WINDOWPOS_CENTERED; }
static inline unsigned int fercore_sdl_init_video(void) { return SDL_INIT_VIDEO; }
#endif
