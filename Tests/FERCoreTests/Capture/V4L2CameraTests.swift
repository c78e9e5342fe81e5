import Foundation
import Testing

@_spi(Kernels) @testable import FERCore

/// Every camera error reachable without any device. Streaming, format negotiation and the
/// faults of a real driver are exercised through libv4l2 by the fake camera of
/// Tests/Support/fake_v4l2, in ferdemoTests/CameraTests (it needs its own process: LD_PRELOAD).
@Suite struct V4L2CameraTests {
    @Test func missingDevice() {
        #expect(throws: CameraError.noSuchDevice(path: "/dev/video-fercore-missing")) {
            try V4L2Camera(path: "/dev/video-fercore-missing")
        }
        #expect(throws: CameraError.noSuchDevice(path: "/dev/video987")) { try V4L2Camera(index: 987) }
    }

    @Test func devNullIsNotACamera() {
        #expect {
            try V4L2Camera(path: "/dev/null")
        } throws: { error in
            guard case .notACaptureDevice(path: "/dev/null", _) = error as? CameraError else { return false }
            return true
        }
    }

    @Test func regularFileIsNotACamera() throws {
        let path = Paths.temporaryFile("not-a-camera.bin")
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3])))
        #expect {
            try V4L2Camera(path: path)
        } throws: { error in
            guard case .notACaptureDevice = error as? CameraError else { return false }
            return true
        }
    }

    @Test func directoryIsNotACamera() {
        #expect(throws: CameraError.notACaptureDevice(path: "/tmp", reason: "it is a directory")) {
            try V4L2Camera(path: "/tmp")
        }
    }

    /// A node we may not open. Root bypasses file permissions (CAP_DAC_OVERRIDE), so as
    /// root (CI containers) this test is skipped: it cannot fail there.
    @Test(.enabled(if: getuid() != 0, "root bypasses file permissions"))
    func permissionDenied() throws {
        let path = Paths.temporaryFile("no-access-camera")
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        chmod(path, 0)
        #expect(throws: CameraError.permissionDenied(path: path)) { try V4L2Camera(path: path) }
    }

    @Test func errorDescriptionsSayWhatToDo() {
        #expect(CameraError.permissionDenied(path: "/dev/video0").description.contains("video' group"))
        #expect(CameraError.busy(path: "/dev/video0").description.contains("close the other program"))
        #expect(V4L2Camera.fourCCString(fercore_fourcc_yuyv_for_tests()) == "YUYV")
    }
}

/// V4L2_PIX_FMT_YUYV ('Y','U','Y','V' little-endian).
func fercore_fourcc_yuyv_for_tests() -> UInt32 {
    UInt32(UInt8(ascii: "Y")) | UInt32(UInt8(ascii: "U")) << 8 | UInt32(UInt8(ascii: "Y")) << 16 | UInt32(UInt8(ascii: "V")) << 24
}
