#include "fer_sdl.h"
#include <dlfcn.h>
#include <stdio.h>

static SDL_bool (*p_SDL_SetHint)(const char *name, const char *value);
static int (*p_SDL_Init)(Uint32 flags);
static const char * (*p_SDL_GetError)(void);
static SDL_Window * (*p_SDL_CreateWindow)(const char *title, int x, int y, int w, int h, Uint32 flags);
static SDL_Renderer * (*p_SDL_CreateRenderer)(SDL_Window *window, int index, Uint32 flags);
static void (*p_SDL_DestroyWindow)(SDL_Window *window);
static void (*p_SDL_Quit)(void);
static SDL_Texture * (*p_SDL_CreateTexture)(SDL_Renderer *renderer, Uint32 format, int access, int w, int h);
static void (*p_SDL_DestroyTexture)(SDL_Texture *texture);
static void (*p_SDL_DestroyRenderer)(SDL_Renderer *renderer);
static int (*p_SDL_UpdateTexture)(SDL_Texture *texture, const SDL_Rect *rect, const void *pixels, int pitch);
static int (*p_SDL_GetRendererOutputSize)(SDL_Renderer *renderer, int *w, int *h);
static int (*p_SDL_SetRenderDrawColor)(SDL_Renderer *renderer, Uint8 r, Uint8 g, Uint8 b, Uint8 a);
static int (*p_SDL_RenderClear)(SDL_Renderer *renderer);
static int (*p_SDL_RenderCopy)(SDL_Renderer *renderer, SDL_Texture *texture, const SDL_Rect *src, const SDL_Rect *dst);
static void (*p_SDL_RenderPresent)(SDL_Renderer *renderer);
static int (*p_SDL_PollEvent)(SDL_Event *event);

static int loaded;
static char error[256];

int fer_sdl_load(void) {
    if (loaded) return 1;
    void *lib = dlopen("libSDL2-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(error, sizeof error, "cannot load SDL2 (%s); install it with: apt-get install libsdl2-2.0-0", dlerror());
        return 0;
    }
    *(void **)&p_SDL_SetHint = dlsym(lib, "SDL_SetHint");
    if (!p_SDL_SetHint) { snprintf(error, sizeof error, "SDL2 lacks SDL_SetHint"); return 0; }
    *(void **)&p_SDL_Init = dlsym(lib, "SDL_Init");
    if (!p_SDL_Init) { snprintf(error, sizeof error, "SDL2 lacks SDL_Init"); return 0; }
    *(void **)&p_SDL_GetError = dlsym(lib, "SDL_GetError");
    if (!p_SDL_GetError) { snprintf(error, sizeof error, "SDL2 lacks SDL_GetError"); return 0; }
    *(void **)&p_SDL_CreateWindow = dlsym(lib, "SDL_CreateWindow");
    if (!p_SDL_CreateWindow) { snprintf(error, sizeof error, "SDL2 lacks SDL_CreateWindow"); return 0; }
    *(void **)&p_SDL_CreateRenderer = dlsym(lib, "SDL_CreateRenderer");
    if (!p_SDL_CreateRenderer) { snprintf(error, sizeof error, "SDL2 lacks SDL_CreateRenderer"); return 0; }
    *(void **)&p_SDL_DestroyWindow = dlsym(lib, "SDL_DestroyWindow");
    if (!p_SDL_DestroyWindow) { snprintf(error, sizeof error, "SDL2 lacks SDL_DestroyWindow"); return 0; }
    *(void **)&p_SDL_Quit = dlsym(lib, "SDL_Quit");
    if (!p_SDL_Quit) { snprintf(error, sizeof error, "SDL2 lacks SDL_Quit"); return 0; }
    *(void **)&p_SDL_CreateTexture = dlsym(lib, "SDL_CreateTexture");
    if (!p_SDL_CreateTexture) { snprintf(error, sizeof error, "SDL2 lacks SDL_CreateTexture"); return 0; }
    *(void **)&p_SDL_DestroyTexture = dlsym(lib, "SDL_DestroyTexture");
    if (!p_SDL_DestroyTexture) { snprintf(error, sizeof error, "SDL2 lacks SDL_DestroyTexture"); return 0; }
    *(void **)&p_SDL_DestroyRenderer = dlsym(lib, "SDL_DestroyRenderer");
    if (!p_SDL_DestroyRenderer) { snprintf(error, sizeof error, "SDL2 lacks SDL_DestroyRenderer"); return 0; }
    *(void **)&p_SDL_UpdateTexture = dlsym(lib, "SDL_UpdateTexture");
    if (!p_SDL_UpdateTexture) { snprintf(error, sizeof error, "SDL2 lacks SDL_UpdateTexture"); return 0; }
    *(void **)&p_SDL_GetRendererOutputSize = dlsym(lib, "SDL_GetRendererOutputSize");
    if (!p_SDL_GetRendererOutputSize) { snprintf(error, sizeof error, "SDL2 lacks SDL_GetRendererOutputSize"); return 0; }
    *(void **)&p_SDL_SetRenderDrawColor = dlsym(lib, "SDL_SetRenderDrawColor");
    if (!p_SDL_SetRenderDrawColor) { snprintf(error, sizeof error, "SDL2 lacks SDL_SetRenderDrawColor"); return 0; }
    *(void **)&p_SDL_RenderClear = dlsym(lib, "SDL_RenderClear");
    if (!p_SDL_RenderClear) { snprintf(error, sizeof error, "SDL2 lacks SDL_RenderClear"); return 0; }
    *(void **)&p_SDL_RenderCopy = dlsym(lib, "SDL_RenderCopy");
    if (!p_SDL_RenderCopy) { snprintf(error, sizeof error, "SDL2 lacks SDL_RenderCopy"); return 0; }
    *(void **)&p_SDL_RenderPresent = dlsym(lib, "SDL_RenderPresent");
    if (!p_SDL_RenderPresent) { snprintf(error, sizeof error, "SDL2 lacks SDL_RenderPresent"); return 0; }
    *(void **)&p_SDL_PollEvent = dlsym(lib, "SDL_PollEvent");
    if (!p_SDL_PollEvent) { snprintf(error, sizeof error, "SDL2 lacks SDL_PollEvent"); return 0; }
    loaded = 1;
    return 1;
}

const char *fer_sdl_load_error(void) { return error; }
int fer_sdl_windowpos_centered(void) { return (int)SDL_WINDOWPOS_CENTERED; }
unsigned int fer_sdl_init_video(void) { return SDL_INIT_VIDEO; }

SDL_bool fer_SDL_SetHint(const char *name, const char *value) { return p_SDL_SetHint(name, value); }
int fer_SDL_Init(Uint32 flags) { return p_SDL_Init(flags); }
const char * fer_SDL_GetError(void) { return p_SDL_GetError(); }
SDL_Window * fer_SDL_CreateWindow(const char *title, int x, int y, int w, int h, Uint32 flags) { return p_SDL_CreateWindow(title, x, y, w, h, flags); }
SDL_Renderer * fer_SDL_CreateRenderer(SDL_Window *window, int index, Uint32 flags) { return p_SDL_CreateRenderer(window, index, flags); }
void fer_SDL_DestroyWindow(SDL_Window *window) { p_SDL_DestroyWindow(window); }
void fer_SDL_Quit(void) { p_SDL_Quit(); }
SDL_Texture * fer_SDL_CreateTexture(SDL_Renderer *renderer, Uint32 format, int access, int w, int h) { return p_SDL_CreateTexture(renderer, format, access, w, h); }
void fer_SDL_DestroyTexture(SDL_Texture *texture) { p_SDL_DestroyTexture(texture); }
void fer_SDL_DestroyRenderer(SDL_Renderer *renderer) { p_SDL_DestroyRenderer(renderer); }
int fer_SDL_UpdateTexture(SDL_Texture *texture, const SDL_Rect *rect, const void *pixels, int pitch) { return p_SDL_UpdateTexture(texture, rect, pixels, pitch); }
int fer_SDL_GetRendererOutputSize(SDL_Renderer *renderer, int *w, int *h) { return p_SDL_GetRendererOutputSize(renderer, w, h); }
int fer_SDL_SetRenderDrawColor(SDL_Renderer *renderer, Uint8 r, Uint8 g, Uint8 b, Uint8 a) { return p_SDL_SetRenderDrawColor(renderer, r, g, b, a); }
int fer_SDL_RenderClear(SDL_Renderer *renderer) { return p_SDL_RenderClear(renderer); }
int fer_SDL_RenderCopy(SDL_Renderer *renderer, SDL_Texture *texture, const SDL_Rect *src, const SDL_Rect *dst) { return p_SDL_RenderCopy(renderer, texture, src, dst); }
void fer_SDL_RenderPresent(SDL_Renderer *renderer) { p_SDL_RenderPresent(renderer); }
int fer_SDL_PollEvent(SDL_Event *event) { return p_SDL_PollEvent(event); }
