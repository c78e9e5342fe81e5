import CSDL2
import FERCore
import Foundation

/// Why the window could not be used.
enum WindowError: Error, CustomStringConvertible {
    /// SDL could not open a video display.
    case noDisplay(String)
    /// SDL failed to create the window, renderer or texture.
    case sdl(String)

    var description: String {
        switch self {
        case let .noDisplay(reason):
            return "Cannot open a window: \(reason). Set DISPLAY to a running X server, or run headless with --no-window."
        case let .sdl(reason):
            return "The window failed: \(reason). Run headless with --no-window."
        }
    }
}

/// What the user did in the window since the last poll.
enum WindowEvent {
    case none
    case quit
}

/// An SDL2 window that shows RGB8 frames, letterboxed to keep their aspect ratio,
/// and reports q, Esc and the close button as `.quit`. The window is resizable;
/// the frame is scaled to fit on every present.
final class Window {
    private let window: OpaquePointer
    private let renderer: OpaquePointer
    private var texture: OpaquePointer?
    private var textureSize = (0, 0)

    /// True when a display is reachable (DISPLAY or WAYLAND_DISPLAY set).
    static var displayAvailable: Bool {
        let env = ProcessInfo.processInfo.environment
        return !(env["DISPLAY"] ?? "").isEmpty || !(env["WAYLAND_DISPLAY"] ?? "").isEmpty
    }

    init(title: String, width: Int, height: Int) throws {
        guard fer_sdl_load() != 0 else { throw WindowError.noDisplay(String(cString: fer_sdl_load_error())) }
        // ferdemo handles SIGINT and SIGTERM itself (Interrupt); SDL must not take them over.
        fer_SDL_SetHint("SDL_NO_SIGNAL_HANDLERS", "1")
        guard fer_SDL_Init(fer_sdl_init_video()) == 0 else {
            throw WindowError.noDisplay(String(cString: fer_SDL_GetError()))
        }
        let flags = SDL_WINDOW_SHOWN.rawValue | SDL_WINDOW_RESIZABLE.rawValue
        guard
            let window = fer_SDL_CreateWindow(
                title, fer_sdl_windowpos_centered(), fer_sdl_windowpos_centered(),
                Int32(width), Int32(height), flags)
        else {
            let reason = String(cString: fer_SDL_GetError())
            fer_SDL_Quit()
            throw WindowError.sdl("SDL_CreateWindow: \(reason)")
        }
        // A software renderer works everywhere (Xvfb, no GPU); frames are small.
        guard let renderer = fer_SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
            let reason = String(cString: fer_SDL_GetError())
            fer_SDL_DestroyWindow(window)
            fer_SDL_Quit()
            throw WindowError.sdl("SDL_CreateRenderer: \(reason)")
        }
        self.window = window
        self.renderer = renderer
    }

    deinit {
        if let texture { fer_SDL_DestroyTexture(texture) }
        fer_SDL_DestroyRenderer(renderer)
        fer_SDL_DestroyWindow(window)
        fer_SDL_Quit()
    }

    /// Shows an RGB8 frame, scaled to fit the window with black bars.
    func present(_ frame: ImageView) throws {
        guard frame.format == .rgb8 else { throw WindowError.sdl("frames must be RGB8") }
        if texture == nil || textureSize != (frame.width, frame.height) {
            if let texture { fer_SDL_DestroyTexture(texture) }
            texture = fer_SDL_CreateTexture(
                renderer, UInt32(SDL_PIXELFORMAT_RGB24.rawValue),
                Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(frame.width), Int32(frame.height))
            guard texture != nil else { throw WindowError.sdl("SDL_CreateTexture: \(String(cString: fer_SDL_GetError()))") }
            textureSize = (frame.width, frame.height)
        }
        fer_SDL_UpdateTexture(texture, nil, frame.base, Int32(frame.rowBytes))
        var outW: Int32 = 0, outH: Int32 = 0
        fer_SDL_GetRendererOutputSize(renderer, &outW, &outH)
        let scale = min(Double(outW) / Double(frame.width), Double(outH) / Double(frame.height))
        let w = Int32(Double(frame.width) * scale), h = Int32(Double(frame.height) * scale)
        var dst = SDL_Rect(x: (outW - w) / 2, y: (outH - h) / 2, w: w, h: h)
        fer_SDL_SetRenderDrawColor(renderer, 0, 0, 0, 255)
        fer_SDL_RenderClear(renderer)
        fer_SDL_RenderCopy(renderer, texture, nil, &dst)
        fer_SDL_RenderPresent(renderer)
    }

    /// Drains pending events; `.quit` for q, Esc or the window's close button.
    func poll() -> WindowEvent {
        var event = SDL_Event()
        var result = WindowEvent.none
        while fer_SDL_PollEvent(&event) != 0 {
            switch event.type {
            case SDL_QUIT.rawValue:
                result = .quit
            case SDL_KEYDOWN.rawValue:
                let key = event.key.keysym.sym
                if key == Int32(SDLK_q.rawValue) || key == Int32(SDLK_ESCAPE.rawValue) { result = .quit }
            default:
                break
            }
        }
        return result
    }
}
