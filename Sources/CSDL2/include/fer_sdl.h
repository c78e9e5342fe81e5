#ifndef FER_SDL_H
#define FER_SDL_H
// SDL2 for ferdemo's window, loaded with dlopen the first time a window is wanted, so that a run
// without a window (headless, detect, classify, …) does not load SDL2 and the ~50 libraries it
// pulls in (X11, Wayland, audio, D-Bus): start-up time. SDL's headers give the types and
// constants; every call goes through the fer_ wrappers below, never SDL's own symbols (which
// are not linked).
#include <SDL2/SDL.h>

/// Loads libSDL2 (once); 1 on success. On failure fer_sdl_load_error() says why.
int fer_sdl_load(void);
/// Why fer_sdl_load() failed ("" when it did not).
const char *fer_sdl_load_error(void);
/// SDL_WINDOWPOS_CENTERED and SDL_INIT_VIDEO (macros Swift cannot import).
int fer_sdl_windowpos_centered(void);
unsigned int fer_sdl_init_video(void);
SDL_bool fer_SDL_SetHint(const char *name, const char *value);
int fer_SDL_Init(Uint32 flags);
const char * fer_SDL_GetError(void);
SDL_Window * fer_SDL_CreateWindow(const char *title, int x, int y, int w, int h, Uint32 flags);
SDL_Renderer * fer_SDL_CreateRenderer(SDL_Window *window, int index, Uint32 flags);
void fer_SDL_DestroyWindow(SDL_Window *window);
void fer_SDL_Quit(void);
SDL_Texture * fer_SDL_CreateTexture(SDL_Renderer *renderer, Uint32 format, int access, int w, int h);
void fer_SDL_DestroyTexture(SDL_Texture *texture);
void fer_SDL_DestroyRenderer(SDL_Renderer *renderer);
int fer_SDL_UpdateTexture(SDL_Texture *texture, const SDL_Rect *rect, const void *pixels, int pitch);
int fer_SDL_GetRendererOutputSize(SDL_Renderer *renderer, int *w, int *h);
int fer_SDL_SetRenderDrawColor(SDL_Renderer *renderer, Uint8 r, Uint8 g, Uint8 b, Uint8 a);
int fer_SDL_RenderClear(SDL_Renderer *renderer);
int fer_SDL_RenderCopy(SDL_Renderer *renderer, SDL_Texture *texture, const SDL_Rect *src, const SDL_Rect *dst);
void fer_SDL_RenderPresent(SDL_Renderer *renderer);
int fer_SDL_PollEvent(SDL_Event *event);
#endif
