/**
 * One camera's pipeline: source -> face detector -> mask classifier (all faces of a frame in one batch) ->
 * tracker -> event sink. One frame is processed at a time; a frame arriving while busy waits in a single
 * slot and replaces (drops, counted) any frame already waiting there, so memory never grows and the
 * newest frame is always the next one processed. Nothing that goes wrong with one frame stops the camera.
 */
import type { FaceAnnotation } from '../../core/annotate-image.js';
import type { Box, RgbImage } from '../../core/image-io.js';
import type { Logger } from '../../core/logger.js';
import type { DetectionConfig, SnapshotsConfig, TrackingConfig } from '../config/pipeline-config.js';
import type { EventSink, MaskEvent } from '../events/event-types.js';
import { decideLabel } from '../inference/label-decision.js';
import type { Classification } from '../inference/mask-classifier.js';
import type { Frame, FrameSource, SourceStats } from '../sources/frame-source.js';
import { IouTracker, type TrackEvent } from '../tracking/iou-tracker.js';
import { SceneChangeDetector } from '../tracking/scene-change.js';
import { CameraEvents } from './camera-events.js';
import { boxInZone, type ZonePolygon } from './camera-zone.js';
import { toSourceStatus } from './event-drafts.js';
import type { AnnotatedFrameWriter } from './frame-writer.js';
import { LiveFrame } from './live-frame.js';
import { LatencyWindow, RateMeter } from './rolling-stats.js';
import { SettledLabels } from './settled-labels.js';

/** What the pipeline needs from the detector (FaceDetector, or a stand-in in tests). */
export interface DetectorPort {
  readonly provider: string;
  detect(
    frame: RgbImage,
    options?: { minScore?: number; iou?: number; maxFaces?: number },
  ): Promise<{ box: Box; score: number }[] & { rejected?: number; tiled?: boolean }>;
}

/** What the pipeline needs from the classifier (MaskClassifier, or a stand-in in tests). */
export interface ClassifierPort {
  readonly provider: string;
  classifyFaces(frame: RgbImage, boxes: readonly Box[]): Promise<Classification[]>;
}

export interface CameraPipelineOptions {
  camera: string;
  source: FrameSource;
  detector: DetectorPort;
  classifier: ClassifierPort;
  sink: EventSink;
  logger: Logger;
  model: { name: string; version: string };
  detection: DetectionConfig;
  tracking: TrackingConfig;
  snapshots?: SnapshotsConfig;
  annotator?: AnnotatedFrameWriter;
  /** Faces whose box centre lies outside this polygon (frame fractions) are ignored. */
  zone?: ZonePolygon;
  /** Called with every event the sink accepted (the live page's event list). */
  onEvent?: (event: MaskEvent) => void;
  /** Shared latency window (all cameras) in addition to the camera's own. */
  latency?: LatencyWindow;
}

export interface CameraCounters {
  processed: number;
  /** Frames dropped because the pipeline was busy. */
  dropped: number;
  /** Frames with impossible pixel buffers. */
  badFrames: number;
  detectErrors: number;
  classifyErrors: number;
  publishErrors: number;
  events: number;
  /** Faces classified (sum over processed frames). */
  faces: number;
  /** Detector runs (fewer than processed frames when detection.everyFrames > 1). */
  detections: number;
  /** Faces sent to the classifier (fewer than `faces` when tracking.reclassifyEvery > 1). */
  classified: number;
  /** Detected faces ignored because their centre lay outside the camera's zone. */
  outsideZone: number;
  /** Detector boxes the face verifier rejected as not faces (models.verifier). */
  rejectedFaces: number;
  /** Detector runs on frames large enough to be tiled as well (detection.tileAboveScale). */
  tiledFrames: number;
}

type ErrorKind = 'detect' | 'classify' | 'publish' | 'annotate' | 'process';

export class CameraPipeline {
  readonly tracker: IouTracker;
  private readonly settled: SettledLabels;
  readonly counters: CameraCounters = {
    processed: 0,
    dropped: 0,
    badFrames: 0,
    detectErrors: 0,
    classifyErrors: 0,
    publishErrors: 0,
    events: 0,
    faces: 0,
    detections: 0,
    classified: 0,
    outsideZone: 0,
    rejectedFaces: 0,
    tiledFrames: 0,
  };
  readonly latency = new LatencyWindow();
  /** Time spent in each model call per frame (ms). */
  readonly stages = { detect: new LatencyWindow(), classify: new LatencyWindow() };
  private readonly rate = new RateMeter();
  private readonly log: Logger;
  private busy: Promise<void> | undefined;
  private pending: Frame | undefined;
  private readonly events: CameraEvents;
  /** The newest processed frame with its boxes, encoded on demand for the live page. */
  readonly liveFrame: LiveFrame;
  private lastCounts = '';
  private readonly lastErrorLog: Partial<Record<ErrorKind, number>> = {};
  private stopped = false;
  private readonly scenes: SceneChangeDetector;

  constructor(private readonly o: CameraPipelineOptions) {
    this.log = o.logger.child({ camera: o.camera });
    this.tracker = new IouTracker({
      iouThreshold: o.tracking.iouThreshold,
      maxAgeMs: o.tracking.maxAgeSeconds * 1000,
      stableFrames: o.tracking.stableFrames,
      cooldownMs: o.tracking.cooldownSeconds * 1000,
    });
    this.settled = new SettledLabels(o.tracking.reclassifyEvery, o.tracking.stableFrames);
    this.liveFrame = new LiveFrame(o.camera, o.zone);
    this.events = new CameraEvents({
      camera: o.camera,
      sink: o.sink,
      logger: this.log,
      model: o.model,
      ...(o.snapshots ? { snapshots: o.snapshots } : {}),
      onError: (kind, err) => {
        if (kind === 'publish') this.counters.publishErrors += 1;
        this.logError(kind, err);
      },
      onPublished: (event) => {
        this.counters.events += 1;
        this.o.onEvent?.(event);
      },
    });
    this.scenes = new SceneChangeDetector(o.tracking.sceneChangeThreshold ?? 0);
  }

  get camera(): string {
    return this.o.camera;
  }

  start(): void {
    this.o.source.onFrame((frame) => this.offer(frame));
    this.o.source.onState((_state, stats) => this.onSourceState(stats));
    this.o.sink.setSourceState(this.o.camera, toSourceStatus(this.o.source.stats()));
    void this.publishState(true);
    this.o.source.start();
  }

  /** Stops the source, finishes the frame in hand, ends every track and waits for the events to be stored. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.o.source.stop();
    this.pending = undefined;
    await this.busy;
    this.emitWithoutFrame(this.tracker.endAll(Date.now()));
    await this.publishState(true);
    await this.events.settled();
  }

  sourceStats(): SourceStats {
    return this.o.source.stats();
  }

  /** Frames processed per second (recent window). */
  fps(): number {
    return this.rate.rate();
  }

  get eventsQueued(): number {
    return this.events.queuedEvents;
  }

  /** Entry point for frames (public for tests that push frames directly). */
  offer(frame: Frame): void {
    if (this.stopped) return;
    if (this.busy) {
      if (this.pending) this.counters.dropped += 1;
      // a dropped frame's scene change still applies to the one that replaces it
      this.pending = this.pending?.newScene && !frame.newScene ? { ...frame, newScene: true } : frame;
      return;
    }
    this.busy = this.drain(frame);
  }

  private async drain(first: Frame): Promise<void> {
    let frame: Frame | undefined = first;
    while (frame) {
      try {
        await this.process(frame);
      } catch (err) {
        // a bug or an unexpected model answer must not stop the camera
        this.counters.badFrames += 1;
        this.logError('process', err);
      }
      frame = this.pending;
      this.pending = undefined;
    }
    this.busy = undefined;
  }

  private async process(frame: Frame): Promise<void> {
    const { image } = frame;
    if (!(image.width > 0 && image.height > 0) || image.data.length !== image.width * image.height * 3) {
      this.counters.badFrames += 1;
      this.logError(
        'process',
        new Error(`bad frame: ${image.width}x${image.height}, ${image.data.length} bytes`),
      );
      return;
    }
    const size = this.lastFrameSize;
    if (size && (size.width !== image.width || size.height !== image.height)) this.lastFaces = undefined;
    const cut = this.scenes.check(image, frame.newScene === true);
    if (cut) {
      // another scene: these are not the people tracked so far (their boxes are in the old frame's size)
      this.lastFaces = undefined;
      this.log.debug('scene change: tracks ended', { why: cut });
      this.emitWithoutFrame(this.tracker.endAll(frame.ts));
    }
    this.lastFrameSize = { width: image.width, height: image.height };
    const faces = await this.facesOf(image);
    if (!faces) return;
    const classes = await this.classify(image, faces);
    if (!classes) return;
    const inputs = faces.map((f, i) => ({
      box: f.box,
      label: classes.all[i]!.label,
      score: classes.all[i]!.score,
    }));
    const events = this.tracker.update(inputs, frame.ts);
    const liveIds = new Set(this.tracker.tracks().map((t) => t.id));
    this.settled.remember(this.tracker.lastAssignments, classes.fresh, liveIds);
    this.events.records.observe(this.tracker.lastAssignments, inputs, frame.ts);
    this.counters.processed += 1;
    this.counters.faces += inputs.length;
    this.rate.mark();
    const latency = Date.now() - frame.ts;
    this.latency.add(latency);
    this.o.latency?.add(latency);
    this.events.emit(events, image, this.lastFrameSize, liveIds);
    void this.publishState(false);
    const annotations: FaceAnnotation[] = this.tracker.tracks().flatMap((t) => {
      if (t.lastSeen < frame.ts) return [];
      const label = t.reportedLabel ?? t.candidateLabel;
      return [{ box: t.box, label, text: `#${t.id} ${label}${t.reportedLabel ? '' : '?'}` }];
    });
    this.liveFrame.set(image, annotations, frame.ts, frame.index);
    if (this.o.annotator?.due(Date.now(), inputs.length)) {
      await this.o.annotator
        .write(image, annotations, frame.ts, frame.index)
        .catch((err) => this.logError('annotate', err));
    }
  }

  /**
   * Classifications for every face: one batched call for the faces that need it, cached results for people
   * whose label is settled (tracking.reclassifyEvery). Undefined when the classifier failed.
   */
  private async classify(
    image: RgbImage,
    faces: readonly { box: Box }[],
  ): Promise<{ all: Classification[]; fresh: (Classification | undefined)[] } | undefined> {
    const reused = this.settled.lookup(
      this.tracker,
      faces.map((f) => f.box),
    );
    const todo = faces.flatMap((_, i) => (reused[i] ? [] : [i]));
    const fresh: (Classification | undefined)[] = faces.map(() => undefined);
    if (todo.length > 0) {
      try {
        const t1 = performance.now();
        const results = await this.o.classifier.classifyFaces(
          image,
          todo.map((i) => faces[i]!.box),
        );
        this.stages.classify.add(performance.now() - t1);
        if (results.length !== todo.length) {
          throw new Error(`classifier returned ${results.length} results for ${todo.length} faces`);
        }
        todo.forEach((faceIndex, k) => {
          fresh[faceIndex] = decideLabel(results[k]!, this.o.detection.correctMinProbability);
        });
      } catch (err) {
        this.counters.classifyErrors += 1;
        this.logError('classify', err);
        return undefined;
      }
    }
    this.counters.classified += todo.length;
    return { all: faces.map((_, i) => (fresh[i] ?? reused[i])!), fresh };
  }

  /** Detected faces (or the last detection's, between detector runs); undefined when detection failed. */
  private async facesOf(image: RgbImage): Promise<{ box: Box; score: number }[] | undefined> {
    const { minScore, iou, maxFaces, minFaceSize, everyFrames } = this.o.detection;
    this.framesSinceDetect += 1;
    if (this.lastFaces && this.framesSinceDetect < everyFrames) return this.lastFaces;
    const t0 = performance.now();
    let faces: { box: Box; score: number }[] & { rejected?: number; tiled?: boolean };
    try {
      faces = await this.o.detector.detect(image, { minScore, iou, maxFaces });
    } catch (err) {
      this.counters.detectErrors += 1;
      this.lastFaces = undefined;
      this.logError('detect', err);
      return undefined;
    }
    this.stages.detect.add(performance.now() - t0);
    this.counters.detections += 1;
    this.counters.rejectedFaces += faces.rejected ?? 0;
    if (faces.tiled) this.counters.tiledFrames += 1;
    this.framesSinceDetect = 0;
    const sized = faces.filter((f) => f.box.width >= minFaceSize && f.box.width > 0 && f.box.height > 0);
    const zone = this.o.zone;
    this.lastFaces = zone ? sized.filter((f) => boxInZone(f.box, image, zone)) : sized;
    this.counters.outsideZone += sized.length - this.lastFaces.length;
    return this.lastFaces;
  }

  private lastFaces: { box: Box; score: number }[] | undefined;
  private framesSinceDetect = 0;

  private lastFrameSize: { width: number; height: number } | undefined;

  /** Events with no frame in hand (camera lost, stopping): no snapshots. */
  private emitWithoutFrame(events: TrackEvent[]): void {
    if (this.lastFrameSize && events.length > 0) this.events.emit(events, undefined, this.lastFrameSize);
  }

  private async publishState(force: boolean): Promise<void> {
    const counts = this.tracker.counts();
    const key = JSON.stringify(counts);
    if (!force && key === this.lastCounts) return;
    this.lastCounts = key;
    try {
      await this.o.sink.publishState(this.o.camera, counts);
    } catch (err) {
      this.counters.publishErrors += 1;
      this.logError('publish', err);
    }
  }

  /** Re-publishes the retained state (periodic). */
  republishState(): Promise<void> {
    return this.publishState(true);
  }

  private onSourceState(stats: SourceStats): void {
    this.o.sink.setSourceState(this.o.camera, toSourceStatus(stats));
    if (stats.state === 'offline' || stats.state === 'stopped') {
      // Nobody can be seen on a dead camera: close the tracks instead of leaving them "present".
      this.lastFaces = undefined;
      this.emitWithoutFrame(this.tracker.endAll(Date.now()));
      void this.publishState(false);
    }
  }

  /** Logs the first error of a kind, then at most one line per 10 s with the running count. */
  private logError(kind: ErrorKind, err: unknown): void {
    const now = Date.now();
    const last = this.lastErrorLog[kind];
    if (last !== undefined && now - last < 10_000) return;
    this.lastErrorLog[kind] = now;
    this.log.warn(`${kind} failed (frame skipped, camera keeps running)`, {
      error: err instanceof Error ? err.message : String(err),
      counters: this.counters,
    });
  }
}
