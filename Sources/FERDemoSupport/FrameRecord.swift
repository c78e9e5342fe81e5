/// The JSON Lines schema of `ferdemo live --json`: one ``FrameRecord`` per line.
///
/// These types are the schema. `JSONDecoder` reads a line into a ``FrameRecord``;
/// `JSONEncoder` writes one with the same keys (the explicit `null`s included); and
/// ``FrameRecordEncoder`` writes the same record without allocating, with its numbers at
/// fixed decimals, which is what ferdemo uses per frame (a test decodes both encoders'
/// output and compares the records).
///
/// ```json
/// {"frame":12,"timestamp":0.4000,"source":"photos/a.jpg","faces":[{"id":1,
///  "box":[x,y,w,h],"landmarks":[[x,y],[x,y],[x,y],[x,y],[x,y]],"landmarks_age":0,
///  "lost":false,"probabilities":{"angry":p,…,"neutral":p},"label":"happy","confidence":p}],
///  "timings_ms":{"tracking":t,"detection":t,"reconcile":t,"classification":t,"total":t}}
/// ```
public struct FrameRecord: Codable, Equatable, Sendable {
    /// The frame's index in its stream.
    public var frame: Int
    /// The frame's time in seconds (4 decimals).
    public var timestamp: Double
    /// The image file the frame came from (folder input only; the key is absent otherwise).
    public var source: String?
    /// The faces, in ID order.
    public var faces: [FaceRecord]
    /// Milliseconds per pipeline stage (3 decimals).
    public var timings: TimingsRecord

    public init(
        frame: Int = 0, timestamp: Double = 0, source: String? = nil, faces: [FaceRecord] = [],
        timings: TimingsRecord = TimingsRecord()
    ) {
        self.frame = frame
        self.timestamp = timestamp
        self.source = source
        self.faces = faces
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case frame, timestamp, source, faces
        case timings = "timings_ms"
    }
}

/// One face of a ``FrameRecord``.
public struct FaceRecord: Codable, Equatable, Sendable {
    /// The track's ID, stable while the face is followed.
    public var id: Int
    /// `[x, y, width, height]` in pixels (2 decimals).
    public var box: BoxRecord
    /// The five MTCNN landmarks (eyes, nose, mouth corners), or nil when not measured yet.
    public var landmarks: LandmarksRecord?
    /// Frames since the detector measured the landmarks (they follow the box in between);
    /// nil with the landmarks.
    public var landmarksAge: Int?
    /// Whether the tracker lost the face on this frame (the box is then its last position).
    public var lost: Bool
    /// The smoothed probabilities (5 decimals), nil until the face is first classified.
    public var probabilities: EmotionProbabilities?
    /// The most probable label's name, nil with the probabilities.
    public var label: String?
    /// The most probable label's probability, nil with the probabilities.
    public var confidence: Double?

    public init(
        id: Int, box: BoxRecord, landmarks: LandmarksRecord? = nil, landmarksAge: Int? = nil, lost: Bool = false,
        probabilities: EmotionProbabilities? = nil, label: String? = nil, confidence: Double? = nil
    ) {
        self.id = id
        self.box = box
        self.landmarks = landmarks
        self.landmarksAge = landmarksAge
        self.lost = lost
        self.probabilities = probabilities
        self.label = label
        self.confidence = confidence
    }

    enum CodingKeys: String, CodingKey {
        case id, box, landmarks
        case landmarksAge = "landmarks_age"
        case lost, probabilities, label, confidence
    }

    /// Absent values are written as `null` (every face line has every key).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(box, forKey: .box)
        try c.encode(landmarks, forKey: .landmarks)
        try c.encode(landmarksAge, forKey: .landmarksAge)
        try c.encode(lost, forKey: .lost)
        try c.encode(probabilities, forKey: .probabilities)
        try c.encode(label, forKey: .label)
        try c.encode(confidence, forKey: .confidence)
    }
}

/// A box as the JSON array `[x, y, width, height]`.
public struct BoxRecord: Codable, Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
        width = try c.decode(Double.self)
        height = try c.decode(Double.self)
        guard c.isAtEnd else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "a box has four numbers: [x, y, width, height]")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
        try c.encode(width)
        try c.encode(height)
    }
}

/// A point as the JSON array `[x, y]`.
public struct PointRecord: Codable, Equatable, Sendable {
    public var x: Double, y: Double

    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        x = try c.decode(Double.self)
        y = try c.decode(Double.self)
        guard c.isAtEnd else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "a point has two numbers: [x, y]") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(x)
        try c.encode(y)
    }
}

/// The five landmarks as the JSON array `[left eye, right eye, nose, left mouth corner,
/// right mouth corner]` (left and right as seen in the image).
public struct LandmarksRecord: Codable, Equatable, Sendable {
    public var leftEye: PointRecord, rightEye: PointRecord, nose: PointRecord
    public var mouthLeft: PointRecord, mouthRight: PointRecord

    public init(leftEye: PointRecord, rightEye: PointRecord, nose: PointRecord, mouthLeft: PointRecord, mouthRight: PointRecord) {
        self.leftEye = leftEye
        self.rightEye = rightEye
        self.nose = nose
        self.mouthLeft = mouthLeft
        self.mouthRight = mouthRight
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        leftEye = try c.decode(PointRecord.self)
        rightEye = try c.decode(PointRecord.self)
        nose = try c.decode(PointRecord.self)
        mouthLeft = try c.decode(PointRecord.self)
        mouthRight = try c.decode(PointRecord.self)
        guard c.isAtEnd else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "there are five landmarks") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        for p in points { try c.encode(p) }
    }

    /// The five points in schema order.
    public var points: [PointRecord] { [leftEye, rightEye, nose, mouthLeft, mouthRight] }
}

/// The seven FER-2013 probabilities, by label name, in FER-2013's order.
public struct EmotionProbabilities: Codable, Equatable, Sendable {
    public var angry: Double, disgust: Double, fear: Double, happy: Double, sad: Double, surprise: Double, neutral: Double

    public init(_ values: [Double]) {
        precondition(values.count == 7, "seven probabilities")
        (angry, disgust, fear, happy, sad, surprise, neutral) = (values[0], values[1], values[2], values[3], values[4], values[5], values[6])
    }

    public init(angry: Double, disgust: Double, fear: Double, happy: Double, sad: Double, surprise: Double, neutral: Double) {
        (self.angry, self.disgust, self.fear, self.happy, self.sad, self.surprise, self.neutral) = (angry, disgust, fear, happy, sad, surprise, neutral)
    }

    /// The label names, in FER-2013's order (the keys of the JSON object).
    public static let labels = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]

    /// The value of label `index` (FER-2013's order).
    public subscript(index: Int) -> Double {
        get {
            switch index {
            case 0: return angry
            case 1: return disgust
            case 2: return fear
            case 3: return happy
            case 4: return sad
            case 5: return surprise
            default: return neutral
            }
        }
        set {
            switch index {
            case 0: angry = newValue
            case 1: disgust = newValue
            case 2: fear = newValue
            case 3: happy = newValue
            case 4: sad = newValue
            case 5: surprise = newValue
            default: neutral = newValue
            }
        }
    }
}

/// Milliseconds per pipeline stage on one frame.
public struct TimingsRecord: Codable, Equatable, Sendable {
    public var tracking: Double, detection: Double, reconcile: Double, classification: Double, total: Double

    public init(tracking: Double = 0, detection: Double = 0, reconcile: Double = 0, classification: Double = 0, total: Double = 0) {
        self.tracking = tracking
        self.detection = detection
        self.reconcile = reconcile
        self.classification = classification
        self.total = total
    }
}

/// Writes a ``FrameRecord`` as one JSON line into a reused byte buffer, allocating nothing
/// once the buffer has grown to a line's size: JSON that decodes to the same record as
/// `JSONEncoder`'s, with numbers at fixed decimals (timestamp 4, box and landmarks 2, probabilities 5,
/// timings 3) and `null` for a number that is not finite.
public struct FrameRecordEncoder {
    /// The last encoded line, newline included.
    public private(set) var line: [UInt8] = []

    public init() { line.reserveCapacity(4096) }

    /// Replaces ``line`` with `record`'s JSON and a newline.
    public mutating func encode(_ record: FrameRecord) {
        line.removeAll(keepingCapacity: true)
        append("{\"frame\":"); appendInt(record.frame)
        append(",\"timestamp\":"); appendFixed(record.timestamp, 4)
        if let source = record.source {
            append(",\"source\":")
            appendString(source)
        }
        append(",\"faces\":[")
        for (k, face) in record.faces.enumerated() {
            if k > 0 { append(",") }
            append("{\"id\":"); appendInt(face.id)
            append(",\"box\":[")
            appendFixed(face.box.x, 2); append(","); appendFixed(face.box.y, 2); append(",")
            appendFixed(face.box.width, 2); append(","); appendFixed(face.box.height, 2)
            append("],\"landmarks\":")
            if let lm = face.landmarks {
                append("[")
                appendPoint(lm.leftEye); append(","); appendPoint(lm.rightEye); append(","); appendPoint(lm.nose); append(",")
                appendPoint(lm.mouthLeft); append(","); appendPoint(lm.mouthRight)
                append("]")
            } else {
                append("null")
            }
            append(",\"landmarks_age\":")
            if let age = face.landmarksAge { appendInt(age) } else { append("null") }
            append(face.lost ? ",\"lost\":true" : ",\"lost\":false")
            append(",\"probabilities\":")
            if let p = face.probabilities {
                append("{")
                for i in 0..<7 {
                    if i > 0 { append(",") }
                    line.append(UInt8(ascii: "\""))
                    line.append(contentsOf: EmotionProbabilities.labels[i].utf8)
                    append("\":")
                    appendFixed(p[i], 5)
                }
                append("}")
            } else {
                append("null")
            }
            append(",\"label\":")
            if let label = face.label { appendString(label) } else { append("null") }
            append(",\"confidence\":")
            if let c = face.confidence { appendFixed(c, 5) } else { append("null") }
            append("}")
        }
        let t = record.timings
        append("],\"timings_ms\":{\"tracking\":"); appendFixed(t.tracking, 3)
        append(",\"detection\":"); appendFixed(t.detection, 3)
        append(",\"reconcile\":"); appendFixed(t.reconcile, 3)
        append(",\"classification\":"); appendFixed(t.classification, 3)
        append(",\"total\":"); appendFixed(t.total, 3)
        append("}}\n")
    }

    // MARK: Formatting without allocation

    @inline(__always) private mutating func append(_ s: StaticString) {
        s.withUTF8Buffer { line.append(contentsOf: $0) }
    }

    /// `s` as a JSON string (quotes, backslashes and control characters escaped).
    private mutating func appendString(_ s: String) {
        line.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                line.append(UInt8(ascii: "\\"))
                line.append(b)
            case 0..<0x20:
                append("\\u00")
                line.append(Self.hex(b >> 4))
                line.append(Self.hex(b & 15))
            default:
                line.append(b)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10 }

    private mutating func appendPoint(_ p: PointRecord) {
        append("["); appendFixed(p.x, 2); append(","); appendFixed(p.y, 2); append("]")
    }

    private mutating func appendInt(_ value: Int) {
        if value < 0 { line.append(UInt8(ascii: "-")) }
        appendUnsigned(value.magnitude, minimumDigits: 1)
    }

    private mutating func appendUnsigned(_ value: UInt, minimumDigits: Int) {
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = value, count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(ascii: "0") + UInt8(n % 10)
                n /= 10
                count += 1
            } while n > 0 || count < minimumDigits
            for i in stride(from: count - 1, through: 0, by: -1) { line.append(d[i]) }
        }
    }

    /// `value` with `decimals` digits after the point (trailing zeros kept); `null` for NaN/∞.
    private mutating func appendFixed(_ value: Double, _ decimals: Int) {
        guard value.isFinite, abs(value) < 1e15 else { append("null"); return }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        let whole = UInt(scaled / scale)
        let fraction = UInt(scaled - Double(whole) * scale)
        if value < 0, scaled > 0 { line.append(UInt8(ascii: "-")) }
        appendUnsigned(whole, minimumDigits: 1)
        if decimals > 0 {
            line.append(UInt8(ascii: "."))
            appendUnsigned(fraction, minimumDigits: decimals)
        }
    }
}
