// Names FERCore 0.2 used, kept for one release so that code written against them still
// builds, with a warning and a fix-it to the new name. FERCore 0.3 uses one suffix for
// tunables, `Options`, and the label `options:` wherever a type takes them.

/// Renamed ``CorrelationFilterOptions``.
@available(*, deprecated, renamed: "CorrelationFilterOptions")
public typealias CorrelationFilterParams = CorrelationFilterOptions

/// Renamed ``FaceTrackerOptions``.
@available(*, deprecated, renamed: "FaceTrackerOptions")
public typealias FaceTrackerParams = FaceTrackerOptions

/// Renamed ``PipelineOptions``.
@available(*, deprecated, renamed: "PipelineOptions")
public typealias PipelineConfig = PipelineOptions

extension CorrelationFilterTracker {
    /// Renamed ``init(options:)``.
    @available(*, deprecated, renamed: "init(options:)")
    public convenience init(params: CorrelationFilterOptions) throws(TrackingError) { try self.init(options: params) }

    /// Renamed ``options``.
    @available(*, deprecated, renamed: "options")
    public var params: CorrelationFilterOptions { options }
}

extension FaceTracker {
    /// Renamed ``init(options:)``.
    @available(*, deprecated, renamed: "init(options:)")
    public convenience init(params: FaceTrackerOptions) throws(TrackingError) { try self.init(options: params) }

    /// Renamed ``options``.
    @available(*, deprecated, renamed: "options")
    public var params: FaceTrackerOptions { options }
}

extension EmotionPipeline {
    /// Renamed ``init(options:)``.
    @available(*, deprecated, renamed: "init(options:)")
    public convenience init(config: PipelineOptions) throws(PipelineError) { try self.init(options: config) }

    /// Renamed ``options``.
    @available(*, deprecated, renamed: "options")
    public var config: PipelineOptions { options }
}
