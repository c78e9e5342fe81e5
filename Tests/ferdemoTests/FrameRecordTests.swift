import FERDemoSupport
import Foundation
import Testing

/// The JSON Lines schema (FERDemoSupport/FrameRecord.swift): the allocation-free encoder ferdemo
/// uses and Foundation's JSONEncoder write the same records, and JSONDecoder reads both.
@Suite struct FrameRecordTests {
    /// Values with at most the encoder's decimals, so that both encoders give exact records.
    static let records: [FrameRecord] = [
        FrameRecord(frame: 0, timestamp: 0, faces: []),
        FrameRecord(
            frame: 12, timestamp: 0.4, source: "photos/\"odd\"\\name\u{1}.jpg",
            faces: [
                FaceRecord(
                    id: 1, box: BoxRecord(x: 10.25, y: -3.5, width: 64, height: 80.75),
                    landmarks: LandmarksRecord(
                        leftEye: PointRecord(x: 20.5, y: 30.25), rightEye: PointRecord(x: 40, y: 30),
                        nose: PointRecord(x: 30, y: 45.5), mouthLeft: PointRecord(x: 22, y: 60),
                        mouthRight: PointRecord(x: 38.75, y: 60.5)),
                    landmarksAge: 3, lost: false,
                    probabilities: EmotionProbabilities(
                        angry: 0.01, disgust: 0, fear: 0.02, happy: 0.9, sad: 0.03,
                        surprise: 0.00001, neutral: 0.03999),
                    label: "happy", confidence: 0.9),
                FaceRecord(id: 7, box: BoxRecord(x: 0, y: 0, width: 1, height: 1), lost: true)
            ], timings: TimingsRecord(tracking: 1.5, detection: 20.125, reconcile: 0.002, classification: 0.75, total: 22.377))
    ]

    @Test func bothEncodersGiveTheSameRecord() throws {
        var fast = FrameRecordEncoder()
        for record in Self.records {
            fast.encode(record)
            #expect(fast.line.last == UInt8(ascii: "\n") && fast.line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
            let fromFast = try JSONDecoder().decode(FrameRecord.self, from: Data(fast.line))
            let fromFoundation = try JSONDecoder().decode(FrameRecord.self, from: JSONEncoder().encode(record))
            #expect(fromFast == record)
            #expect(fromFoundation == record)
        }
    }

    @Test func absentValuesAreExplicitNulls() throws {
        var fast = FrameRecordEncoder()
        fast.encode(Self.records[1])
        let text = String(decoding: fast.line, as: UTF8.self)
        #expect(
            text.contains(
                "\"id\":7,\"box\":[0.00,0.00,1.00,1.00],\"landmarks\":null,\"landmarks_age\":null,\"lost\":true,"
                    + "\"probabilities\":null,\"label\":null,\"confidence\":null}"))
        let foundation = String(decoding: try JSONEncoder().encode(Self.records[1].faces[1]), as: UTF8.self)
        for key in ["landmarks", "landmarks_age", "probabilities", "label", "confidence"] {
            #expect(foundation.contains("\"\(key)\":null"), "\(key) in \(foundation)")
        }
        // No source key without a source.
        fast.encode(Self.records[0])
        #expect(!String(decoding: fast.line, as: UTF8.self).contains("source"))
    }

    @Test func malformedLinesAreDecodingErrors() {
        for bad in ["{\"frame\":1}", "{\"frame\":1,\"timestamp\":0,\"faces\":[{\"id\":1,\"box\":[1,2,3]}],\"timings_ms\":{}}"] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(FrameRecord.self, from: Data(bad.utf8)) }
        }
    }
}
