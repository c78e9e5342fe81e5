/// The OpenAPI 3.0 document of the HTTP API, served at `GET /openapi.yaml`.
///
/// This document is the contract: `Tools/test_serve_api.sh` runs schemathesis against a live
/// server with it (every status, header, content type and response body is checked against
/// what is written here), so a change to a route, a parameter, a response field or an error
/// code changes this text in the same commit. `/v1/stream` is a WebSocket: OpenAPI 3.0 cannot
/// describe its messages, so its operation describes the protocol in words and the schema
/// `StreamFrame` gives the shape of each result; the script does not fuzz it.
enum OpenAPISpec {
    static let yaml: String = #"""
        openapi: 3.0.3
        info:
          title: ferdemo serve
          version: 0.3.0
          description: |
            Face detection (MTCNN) and facial emotion recognition (FER-2013's seven classes) over HTTP,
            and live tracking over a WebSocket, served by `ferdemo serve` (FERCore). Docs/Serving.md
            explains the limits, the flags, the metrics and how to deploy it.

            Images are sent as the raw request body (not multipart), in any format the server
            decodes: JPEG, PNG, BMP, WebP, GIF (first frame) or TIFF. The format is read from the
            bytes: the Content-Type may be any `image/*` type or `application/octet-stream`, or be
            left out. A query parameter that the operation does not take is an error (400), so that a
            typo such as `minface=40` is not silently ignored.

            Authentication: when the server was started with `--token T`, every `/v1/` operation and
            `/metrics` need the header `Authorization: Bearer T` (the WebSocket `/v1/stream` also takes
            `?token=T`, since browsers cannot set headers on a WebSocket). A server started without
            `--token` needs none. `/healthz`, `/openapi.yaml`, `/`, and `/sample.mp4` never need it.

            Every error is `application/json` with the body `{"error": "<what was wrong and what to do>",
            "code": "<snake_case code>"}`; clients branch on `code`, never on `error`'s text:

            | status | code | when |
            | --- | --- | --- |
            | 400 | bad_parameter | a query parameter is out of range, not one of its values, or unknown to the operation |
            | 400 | bad_request | a request the HTTP layer itself could not read |
            | 401 | unauthorized | the server has a token and the request lacks `Authorization: Bearer <token>` (header `WWW-Authenticate: Bearer`) |
            | 404 | not_found | no such path (or `/sample.mp4` on a server without a sample clip) |
            | 405 | method_not_allowed | the path exists but not with this method (header `Allow`) |
            | 408 | request_timeout | the request body did not arrive within the server's `--timeout` |
            | 413 | body_too_large | the body is larger than `--max-body-bytes` (default 10 MiB) |
            | 413 | image_too_large | the image has more pixels than `--max-pixels` (default 40,000,000) |
            | 415 | unsupported_media_type | the Content-Type is none of `image/*`, `application/octet-stream` and `application/x-www-form-urlencoded` (curl's default for `--data-binary`) |
            | 422 | undecodable_image | the body is not an image: not a known format, corrupt, truncated, or empty |
            | 426 | websocket_upgrade_required | a plain GET of `/v1/stream` (header `Upgrade: websocket`) |
            | 503 | overloaded | too many requests running and waiting at once, or too many streams open (header `Retry-After`, seconds) |
            | 503 | shutting_down | the server is stopping (SIGTERM); retry on another replica |
            | 500 | internal | a bug or a broken installation (for example missing FFmpeg libraries) |
          license:
            name: MIT
        servers:
          - url: /
        tags:
          - name: analysis
            description: Faces and emotions of one image.
          - name: stream
            description: Live tracking over a WebSocket.
          - name: service
            description: Health, metrics, this document and the live page.
        paths:
          /healthz:
            get:
              tags: [service]
              operationId: getHealth
              summary: Liveness and readiness
              description: |
                200 as soon as the server answers HTTP with its networks loaded; needs no token. Use it
                for load-balancer health checks and for Kubernetes' readiness and liveness probes.
              security: []
              responses:
                '200':
                  description: The server is up.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/Health'
                      example:
                        status: ok
                        version: 0.3.0
                        models: [fernet, fernet-int8, mini-xception]
                        threads: 2
          /metrics:
            get:
              tags: [service]
              operationId: getMetrics
              summary: Prometheus metrics
              description: |
                The Prometheus text exposition format, version 0.0.4
                (`Content-Type: text/plain; version=0.0.4`). Needs the bearer token when the server
                has one. Docs/Serving.md lists the metric names.
              security:
                - bearerAuth: []
              responses:
                '200':
                  description: The metrics.
                  content:
                    text/plain:
                      schema:
                        type: string
                '401':
                  $ref: '#/components/responses/Unauthorized'
          /openapi.yaml:
            get:
              tags: [service]
              operationId: getOpenAPI
              summary: This document
              security: []
              responses:
                '200':
                  description: The OpenAPI 3.0 document of this API.
                  content:
                    application/yaml:
                      schema:
                        type: string
          /:
            get:
              tags: [service]
              operationId: getLivePage
              summary: The live page
              description: |
                A page that sends the browser's camera (or the sample clip) to `/v1/stream` and draws
                the faces, their IDs and emotions on it.
              security: []
              responses:
                '200':
                  description: The page.
                  content:
                    text/html:
                      schema:
                        type: string
          /sample.mp4:
            get:
              tags: [service]
              operationId: getSampleClip
              summary: The sample clip the live page plays when there is no camera
              security: []
              responses:
                '200':
                  description: The clip.
                  content:
                    video/mp4:
                      schema:
                        type: string
                        format: binary
                '404':
                  $ref: '#/components/responses/NotFound'
          /v1/analyze:
            post:
              tags: [analysis]
              operationId: analyzeImage
              summary: Detect every face of an image and classify its emotion
              description: |
                The body is one whole image. Each face found by MTCNN (at least `min_face` pixels on a
                side) is cropped, classified by `model` and reported with its box, its five landmarks
                and its seven probabilities. An image with no face gives `"faces": []`.
              security:
                - bearerAuth: []
              parameters:
                - $ref: '#/components/parameters/MinFace'
                - $ref: '#/components/parameters/Flip'
                - $ref: '#/components/parameters/Model'
              requestBody:
                $ref: '#/components/requestBodies/Image'
              responses:
                '200':
                  description: The faces found, in decreasing detection score.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/AnalyzeResult'
                '400':
                  $ref: '#/components/responses/BadParameter'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '408':
                  $ref: '#/components/responses/RequestTimeout'
                '413':
                  $ref: '#/components/responses/TooLarge'
                '415':
                  $ref: '#/components/responses/UnsupportedMediaType'
                '422':
                  $ref: '#/components/responses/UndecodableImage'
                '500':
                  $ref: '#/components/responses/Internal'
                '503':
                  $ref: '#/components/responses/Overloaded'
          /v1/classify:
            post:
              tags: [analysis]
              operationId: classifyFace
              summary: Classify the emotion of an already-cropped face
              description: |
                The body is an image of one face, cropped around it (as `/v1/analyze`'s box, or any
                crop); it is converted to gray and resized to the model's input, with no detection.
              security:
                - bearerAuth: []
              parameters:
                - $ref: '#/components/parameters/Flip'
                - $ref: '#/components/parameters/Model'
              requestBody:
                $ref: '#/components/requestBodies/Image'
              responses:
                '200':
                  description: The face's emotion.
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/ClassifyResult'
                '400':
                  $ref: '#/components/responses/BadParameter'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '408':
                  $ref: '#/components/responses/RequestTimeout'
                '413':
                  $ref: '#/components/responses/TooLarge'
                '415':
                  $ref: '#/components/responses/UnsupportedMediaType'
                '422':
                  $ref: '#/components/responses/UndecodableImage'
                '500':
                  $ref: '#/components/responses/Internal'
                '503':
                  $ref: '#/components/responses/Overloaded'
          /v1/stream:
            get:
              tags: [stream]
              operationId: streamFrames
              summary: Track faces and their emotions over a WebSocket
              description: |
                A WebSocket (RFC 6455), not a plain HTTP call: the client opens it with a GET carrying
                the upgrade headers, then sends frames and reads results. A plain GET is answered 426.

                - Client to server: one binary message per video frame, each a whole image (JPEG is
                  what browsers make cheaply; any format `/v1/analyze` takes is read), at most
                  `--max-body-bytes`. Frames of one connection are one sequence: faces keep their `id`
                  from frame to frame.
                - Server to client: one text message per binary message, in order: the JSON object
                  `StreamFrame` (`frame` counts the frames answered on this connection, from 0), or
                  `StreamError` for a frame that could not be decoded or processed (the stream goes on).
                  A text message from the client is answered with `StreamError` code `bad_message`.
                - Authentication: `Authorization: Bearer <token>` or the query parameter `token`, when
                  the server has a token. The token, the parameters and the stream limit are checked
                  before the upgrade (401, 400 or 503 instead of 101).
                - Closing: the server closes with 1013 (try again later) when the stream limit was
                  reached between the check and the upgrade, and with 1011 when the stream could not
                  start.

                Frames are processed one at a time per connection: the next message is read after the
                previous answer is written, so a client that sends faster than the server answers is
                slowed by TCP back-pressure. Send the next frame after reading the previous answer for
                the lowest latency.
              security:
                - bearerAuth: []
                - streamToken: []
              parameters:
                - $ref: '#/components/parameters/MinFace'
                - $ref: '#/components/parameters/Flip'
                - $ref: '#/components/parameters/Model'
              responses:
                '101':
                  description: Switching Protocols; the WebSocket is open.
                '400':
                  $ref: '#/components/responses/BadParameter'
                '401':
                  $ref: '#/components/responses/Unauthorized'
                '426':
                  description: Not a WebSocket upgrade (code `websocket_upgrade_required`).
                  headers:
                    Upgrade:
                      description: '`websocket`'
                      required: true
                      schema:
                        type: string
                        enum: [websocket]
                  content:
                    application/json:
                      schema:
                        allOf:
                          - $ref: '#/components/schemas/Error'
                          - properties:
                              code:
                                enum: [websocket_upgrade_required]
                '503':
                  $ref: '#/components/responses/Overloaded'
        components:
          securitySchemes:
            bearerAuth:
              type: http
              scheme: bearer
              description: |
                The token the server was started with (`--token`), compared in constant time.
                Enforced only when the server has a token.
            streamToken:
              type: apiKey
              in: query
              name: token
              description: The same token as a query parameter, for `/v1/stream` only.
          parameters:
            MinFace:
              name: min_face
              in: query
              required: false
              description: The smallest face side, in pixels, that the detector looks for.
              schema:
                type: integer
                minimum: 12
                maximum: 10000
                default: 20
            Flip:
              name: flip
              in: query
              required: false
              description: |
                Average each face's probabilities with those of its mirror image: `true` or `false`
                (`1`/`0` and `yes`/`no` are taken too, in any case).
              schema:
                type: boolean
                default: false
            Model:
              name: model
              in: query
              required: false
              description: |
                The emotion model: `fernet` (FERCore's own CNN, the default), `fernet-int8` (the same,
                quantised to 8 bits) or `mini-xception` (the `fer` package's).
              schema:
                $ref: '#/components/schemas/ModelName'
          requestBodies:
            Image:
              required: true
              description: |
                One whole image, as the raw body. The format is read from the bytes, so
                `application/octet-stream` takes any of them.
              content:
                image/jpeg:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                image/png:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                image/bmp:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                image/webp:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                image/gif:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                image/tiff:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
                application/octet-stream:
                  schema:
                    $ref: '#/components/schemas/ImageBytes'
          headers:
            RetryAfter:
              description: Seconds to wait before retrying.
              required: true
              schema:
                type: integer
                minimum: 0
            WWWAuthenticate:
              description: The authentication scheme the server wants (`Bearer`).
              required: true
              schema:
                type: string
                pattern: '^Bearer'
            Allow:
              description: The methods this path takes.
              required: true
              schema:
                type: string
          responses:
            BadParameter:
              description: |
                A query parameter is out of range, not one of its values or not one the operation takes
                (code `bad_parameter`), or the HTTP layer could not read the request (code `bad_request`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [bad_parameter, bad_request]
                  example:
                    error: "Query parameter min_face=5 is not valid; allowed: 12...10000."
                    code: bad_parameter
            Unauthorized:
              description: The server has a token and the request does not carry it (code `unauthorized`).
              headers:
                WWW-Authenticate:
                  $ref: '#/components/headers/WWWAuthenticate'
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [unauthorized]
            NotFound:
              description: No such resource (code `not_found`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [not_found]
            MethodNotAllowed:
              description: The path does not take this method (code `method_not_allowed`).
              headers:
                Allow:
                  $ref: '#/components/headers/Allow'
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [method_not_allowed]
            RequestTimeout:
              description: The request body did not arrive within the server's `--timeout` (code `request_timeout`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [request_timeout]
            TooLarge:
              description: |
                The body is larger than `--max-body-bytes` (code `body_too_large`), or the image has
                more pixels than `--max-pixels` (code `image_too_large`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [body_too_large, image_too_large]
            UnsupportedMediaType:
              description: The Content-Type is none of `image/*`, `application/octet-stream` and `application/x-www-form-urlencoded` (code `unsupported_media_type`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [unsupported_media_type]
            UndecodableImage:
              description: The body is not a whole image in a supported format, or is empty (code `undecodable_image`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [undecodable_image]
            Overloaded:
              description: |
                Too many requests running and waiting at once, or too many streams open (code
                `overloaded`): retry after `Retry-After` seconds. Or the server is stopping (code
                `shutting_down`): retry, on another replica behind a load balancer.
              headers:
                Retry-After:
                  $ref: '#/components/headers/RetryAfter'
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [overloaded, shutting_down]
            Internal:
              description: A bug or a broken installation (code `internal`).
              content:
                application/json:
                  schema:
                    allOf:
                      - $ref: '#/components/schemas/Error'
                      - properties:
                          code:
                            enum: [internal]
          schemas:
            Error:
              type: object
              required: [error, code]
              additionalProperties: false
              properties:
                error:
                  type: string
                  minLength: 1
                  description: What was wrong and what to do, for people; its wording may change.
                code:
                  type: string
                  pattern: '^[a-z][a-z0-9_]*$'
                  description: The stable, machine-readable code.
            ModelName:
              type: string
              enum: [fernet, fernet-int8, mini-xception]
              default: fernet
            Emotion:
              type: string
              enum: [angry, disgust, fear, happy, sad, surprise, neutral]
            Probability:
              type: number
              minimum: 0
              maximum: 1
            Probabilities:
              type: object
              description: The seven probabilities, summing to 1.
              required: [angry, disgust, fear, happy, sad, surprise, neutral]
              additionalProperties: false
              properties:
                angry:
                  $ref: '#/components/schemas/Probability'
                disgust:
                  $ref: '#/components/schemas/Probability'
                fear:
                  $ref: '#/components/schemas/Probability'
                happy:
                  $ref: '#/components/schemas/Probability'
                sad:
                  $ref: '#/components/schemas/Probability'
                surprise:
                  $ref: '#/components/schemas/Probability'
                neutral:
                  $ref: '#/components/schemas/Probability'
            Box:
              type: array
              description: '[x, y, width, height] in pixels of the image (x and y may be negative at an edge).'
              minItems: 4
              maxItems: 4
              items:
                type: number
            Point:
              type: array
              description: '[x, y] in pixels of the image.'
              minItems: 2
              maxItems: 2
              items:
                type: number
            Landmarks:
              type: array
              description: Left eye, right eye, nose, left mouth corner, right mouth corner.
              minItems: 5
              maxItems: 5
              items:
                $ref: '#/components/schemas/Point'
            ImageBytes:
              type: string
              format: binary
            Health:
              type: object
              required: [status, version, models]
              additionalProperties: false
              properties:
                status:
                  type: string
                  enum: [ok]
                version:
                  type: string
                  description: ferdemo's version.
                models:
                  type: array
                  description: The emotion models this server can run (the values of `model`).
                  items:
                    $ref: '#/components/schemas/ModelName'
                threads:
                  type: integer
                  minimum: 1
                  description: The server's compute threads (`--threads`).
            Face:
              type: object
              required: [box, landmarks, detection_score, probabilities, label, confidence]
              additionalProperties: false
              properties:
                box:
                  $ref: '#/components/schemas/Box'
                landmarks:
                  $ref: '#/components/schemas/Landmarks'
                detection_score:
                  type: number
                  minimum: 0
                  maximum: 1
                  description: MTCNN's face probability.
                probabilities:
                  $ref: '#/components/schemas/Probabilities'
                label:
                  $ref: '#/components/schemas/Emotion'
                confidence:
                  $ref: '#/components/schemas/Probability'
            AnalyzeResult:
              type: object
              required: [width, height, model, faces, timings_ms]
              additionalProperties: false
              properties:
                width:
                  type: integer
                  minimum: 1
                height:
                  type: integer
                  minimum: 1
                model:
                  $ref: '#/components/schemas/ModelName'
                faces:
                  type: array
                  items:
                    $ref: '#/components/schemas/Face'
                timings_ms:
                  type: object
                  required: [decode, analyze]
                  additionalProperties: false
                  properties:
                    decode:
                      type: number
                      minimum: 0
                    analyze:
                      type: number
                      minimum: 0
            ClassifyResult:
              type: object
              required: [width, height, model, probabilities, label, confidence, timings_ms]
              additionalProperties: false
              properties:
                width:
                  type: integer
                  minimum: 1
                height:
                  type: integer
                  minimum: 1
                model:
                  $ref: '#/components/schemas/ModelName'
                probabilities:
                  $ref: '#/components/schemas/Probabilities'
                label:
                  $ref: '#/components/schemas/Emotion'
                confidence:
                  $ref: '#/components/schemas/Probability'
                timings_ms:
                  type: object
                  required: [decode, classify]
                  additionalProperties: false
                  properties:
                    decode:
                      type: number
                      minimum: 0
                    classify:
                      type: number
                      minimum: 0
            StreamFrame:
              type: object
              description: One text message of `/v1/stream`, the result of one binary frame.
              required: [frame, timestamp, width, height, faces, timings_ms]
              properties:
                frame:
                  type: integer
                  minimum: 0
                  description: The frame's index on this connection, from 0.
                timestamp:
                  type: number
                  description: Seconds since the connection's first frame.
                width:
                  type: integer
                  minimum: 1
                height:
                  type: integer
                  minimum: 1
                faces:
                  type: array
                  description: The tracked faces, in `id` order.
                  items:
                    $ref: '#/components/schemas/TrackedFace'
                timings_ms:
                  type: object
                  required: [tracking, detection, reconcile, classification, total]
                  properties:
                    tracking:
                      type: number
                    detection:
                      type: number
                    reconcile:
                      type: number
                    classification:
                      type: number
                    total:
                      type: number
            StreamError:
              type: object
              description: |
                A text message of `/v1/stream` answering a frame that could not be used (codes
                `undecodable_image`, `image_too_large`, `internal`) or a text message (code
                `bad_message`); the stream stays open.
              required: [error, code]
              properties:
                error:
                  type: string
                code:
                  type: string
                frame:
                  type: integer
                  minimum: 0
                  description: The index the next answered frame will have.
            TrackedFace:
              type: object
              required: [id, box, landmarks, landmarks_age, lost, probabilities, label, confidence]
              properties:
                id:
                  type: integer
                  description: The track's ID, stable while the face is followed.
                box:
                  $ref: '#/components/schemas/Box'
                landmarks:
                  type: array
                  nullable: true
                  minItems: 5
                  maxItems: 5
                  items:
                    $ref: '#/components/schemas/Point'
                  description: As in `Face`; null until the detector has measured them.
                landmarks_age:
                  type: integer
                  minimum: 0
                  nullable: true
                  description: Frames since the detector measured the landmarks (they follow the box in between); null with them.
                lost:
                  type: boolean
                  description: The tracker lost the face on this frame; the box is its last position.
                probabilities:
                  type: object
                  nullable: true
                  required: [angry, disgust, fear, happy, sad, surprise, neutral]
                  properties:
                    angry:
                      $ref: '#/components/schemas/Probability'
                    disgust:
                      $ref: '#/components/schemas/Probability'
                    fear:
                      $ref: '#/components/schemas/Probability'
                    happy:
                      $ref: '#/components/schemas/Probability'
                    sad:
                      $ref: '#/components/schemas/Probability'
                    surprise:
                      $ref: '#/components/schemas/Probability'
                    neutral:
                      $ref: '#/components/schemas/Probability'
                  description: Smoothed over the track's frames; null until the face is first classified.
                label:
                  type: string
                  nullable: true
                  enum: [angry, disgust, fear, happy, sad, surprise, neutral, null]
                confidence:
                  type: number
                  minimum: 0
                  maximum: 1
                  nullable: true
        """#
}
