import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Loads Tests/Fixtures/emotion/astronaut_faces.safetensors (made by
/// Tools/make_emotion_fixtures.py from the public-domain astronaut photo, cv2 and fer)
/// and the mini-Xception goldens.
struct EmotionFixtures {
    struct Box: Decodable {
        var name: String
        var variant: String
        var box: [Int]
        var pad_value: Int
        var region: [Int]
        var golden_case: Int?
    }

    private struct Meta: Decodable { var boxes: [Box] }

    let file: SafeTensorsFile
    let boxes: [Box]
    let photo: Image

    init() throws {
        file = try SafeTensorsFile(contentsOf: Paths.fixture("emotion/astronaut_faces.safetensors"))
        let json = try #require(file.metadata["fercore.emotion"])
        boxes = try JSONDecoder().decode(Meta.self, from: Data(json.utf8)).boxes
        let (shape, rgb) = try file.uint8s("astronaut.rgb")
        try #require(shape == [512, 512, 3])
        photo = try Image(width: 512, height: 512, format: .rgb8, pixels: rgb)
    }

    /// The photo as fer saw it for `variant`: as is, mirrored left-right, or halved (`bgr // 2`).
    func image(_ variant: String) throws -> Image {
        var out = photo
        let w = photo.width
        for y in 0..<photo.height {
            for x in 0..<w {
                for c in 0..<3 {
                    let v = photo.pixels[(y * w + x) * 3 + c]
                    switch variant {
                    case "flipped": out.pixels[(y * w + (w - 1 - x)) * 3 + c] = v
                    case "darkened": out.pixels[(y * w + x) * 3 + c] = v / 2
                    default: break
                    }
                }
            }
        }
        return out
    }

    func rect(_ b: Box) -> FERCore.Box { FERCore.Box(x: Double(b.box[0]), y: Double(b.box[1]), width: Double(b.box[2]), height: Double(b.box[3])) }

    func bytes(_ name: String) throws -> [UInt8] { try file.uint8s(name).values }
    func floats(_ name: String) throws -> [Float] { try file.floats(name).values }

    static func golden() throws -> SafeTensorsFile {
        try SafeTensorsFile(contentsOf: Paths.fixture("goldens/emotion_mini_xception.safetensors"))
    }
}
