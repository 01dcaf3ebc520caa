"""The composition root's parts, built once at start-up from the settings and shared by the routes."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session

from audio_library import AssetStore
from audio_library.errors import LoaxaError
from controller.accounts import use_password_policy
from controller.db import make_engine, session_factory, wait_for_database
from controller.errors import Conflict, DatabaseNotMigrated
from controller.settings import Settings
from devices.alerts import AlertWebhook
from devices.broker import sync_broker_auth
from devices.command_signing import CommandSigner
from devices.commands import CommandCenter, TimeoutSweeper
from devices.content import ContentDelivery
from devices.credentials import VerifiedLogins
from devices.errors import BrokerUnavailable
from devices.health_monitor import HealthMonitor
from devices.icecast import IcecastServer
from devices.identity_watch import IdentityWatch
from devices.link import MqttLink
from devices.protocol import PlaylistNotice, commune_playlist_topic, encode
from devices.registry import Commune
from devices.uplink import UplinkHandler
from province_link import FeedPoller, OutboxSender, enqueue_play
from reports import PlaySealer
from reports.filing import ReportFiler
from schedules import CommunePlaylist, notice_for, publish_playlist
from schedules.clock import Clock, system_clock
from schedules.jobs import JobContext, PlaylistScheduler
from schedules.lease import LeaseKeeper
from schedules.play_audit import audit_plays
from schedules.play_verification import PlayVerifier
from tts.edge import EdgeTransport
from tts.engines import build_engines
from tts.speech_asset import SpeechRenderer
from tts.speech_cache import SpeechCache

if TYPE_CHECKING:
    from controller.live.hub import LiveHub  # which needs the routes' dependencies, which need Services

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: Callable[[], Session]
    store: AssetStore
    speech: SpeechRenderer
    link: MqttLink | None = field(default=None)
    device_logins: VerifiedLogins = field(default_factory=VerifiedLogins)
    # Bounds request sessions to the pool, so waiting for a connection never ties up a worker thread.
    session_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(16))
    # "Now" for scheduling; tests inject a shifted or fixed clock instead of patching time.
    clock: Clock = field(default=system_clock)
    scheduler: PlaylistScheduler | None = field(default=None)
    commands: CommandCenter | None = field(default=None)
    command_sweeper: TimeoutSweeper | None = field(default=None)
    # Heartbeats, health states, alerts and uptime (runs while connected to the broker).
    health: HealthMonitor | None = field(default=None)
    # Reads the feeds of source systems that only publish (`province_link.feed`; started with the app).
    feeds: FeedPoller | None = field(default=None)
    # Sends the outbox's reports to the province's source systems (`province_link.outbox`).
    reports: OutboxSender | None = field(default=None)
    # Seals proof of play into the as-run log's hash chain (`reports.sealer`).
    sealer: PlaySealer | None = field(default=None)
    # Files the reports of closed periods (`reports.filing`).
    filer: ReportFiler | None = field(default=None)
    # Nodes' playlists and audio through nginx (controller.content; None: the controller serves them).
    content: ContentDelivery | None = field(default=None)
    # The leader lease; the singleton jobs above run only while it is held (controller.leadership).
    leadership: LeaseKeeper | None = field(default=None)
    # Live broadcasts from the console (controller.live; started with the app).
    live: LiveHub | None = field(default=None)
    # The private Icecast of live broadcasts, when this controller started it (`live.start_icecast`).
    icecast: IcecastServer | None = field(default=None)
    # Signs the playlists urgent notices carry when no command center is running (loaded once).
    _playlist_signer: CommandSigner | None = field(default=None, repr=False)

    def start_scheduler(self) -> None:
        """Start the persistent publication jobs (missed ones run now); see schedules.jobs.

        Under the leader lease (`controller.leadership`), every publication job is fenced by it.
        """
        keeper = self.leadership
        context = JobContext(
            self.sessions,
            self.notify,
            self.clock,
            self.settings.scheduler,
            lease=keeper.lease if keeper is not None else None,
            step_down=keeper.step_down if keeper is not None else (lambda: None),
        )
        self.scheduler = PlaylistScheduler(self.engine, self.settings.database.url, context)
        self.scheduler.start()

    def publish(
        self,
        session: Session,
        commune: Commune,
        *,
        urgent: bool = False,
        plan: bool = True,
        confirms: list[tuple[str, Callable[[], None]]] | None = None,
    ) -> CommunePlaylist:
        """Recompile the commune's playlist within `session`'s transaction, commit, announce it, plan ahead.

        `urgent` (an emergency) makes nodes pull at once. `plan=False` leaves the planning of the
        commune's next publication to the caller (`publish_each` plans once every commune was told), and
        `confirms` (see `notify`) the wait for the broker's acknowledgement.
        Raises Conflict if a concurrent request published the commune's first playlist meanwhile;
        nothing of this request is then kept.
        """
        sched = self.settings.scheduler
        stored, changed = publish_playlist(
            session,
            commune,
            now=self.clock(),
            horizon=timedelta(hours=sched.playlist_horizon_h),
            lookback=timedelta(minutes=sched.max_item_duration_min),
            planning=sched.planning(),
        )
        try:
            session.commit()
        except IntegrityError as exc:
            session.rollback()
            raise Conflict(
                "concurrent playlist change", message_vi="Lịch phát vừa thay đổi, vui lòng thử lại."
            ) from exc
        if changed or urgent:
            notice = notice_for(commune, stored, urgent=urgent, signer=self.playlist_signer() if urgent else None)
            self.notify(notice, confirms=confirms)
        if plan and self.scheduler is not None:
            self.scheduler.plan(commune.code)
        return stored

    def publish_each(self, session: Session, communes: list[Commune], *, urgent: bool = False) -> dict[str, int | None]:
        """Publish communes after a change already committed for all of them: each one's playlist version,
        None for those that failed.

        One commune failing (a concurrent change, a playlist that does not compile) must neither hide
        the committed change from the caller nor keep the other communes on their old playlists. A
        failed commune is logged and left to the scheduler's periodic republish.

        Every commune is told before any is planned ahead: planning compiles the commune's timetable
        again (a few ms each), which would otherwise delay the last communes of a province-wide
        emergency by as much per commune before it.
        """
        versions: dict[str, int | None] = {}
        confirms: list[tuple[str, Callable[[], None]]] = []
        for commune in communes:
            code = commune.code  # read before a rollback expires it
            try:
                versions[code] = self.publish(session, commune, urgent=urgent, plan=False, confirms=confirms).version
            except LoaxaError:
                session.rollback()
                log.exception("could not publish %s after a change to several communes", code)
                versions[code] = None
        for code, confirm in confirms:
            try:
                confirm()
            except BrokerUnavailable as exc:
                log.warning("playlist notice for %s not sent, nodes will poll: %s", code, exc)
        if self.scheduler is not None:
            for code, version in versions.items():
                if version is not None:
                    self.scheduler.plan(code)
        return versions

    def notify(self, notice: PlaylistNotice, *, confirms: list[tuple[str, Callable[[], None]]] | None = None) -> None:
        """Tell the commune's nodes a new playlist is ready. Retained, so a node that connects later sees it.

        A failure is logged, not raised: the playlist is already stored and nodes poll for it anyway.
        The files nginx serves are written first, so a node pulling on the notice finds the new version.
        With `confirms`, the notice is sent without waiting for the broker's PUBACK; the wait is appended
        there (commune code, function) for the caller to run after sending the others.
        """
        if self.content is not None:
            try:
                self.content.publish(notice.commune)
            except (OSError, SQLAlchemyError):
                log.exception("playlist files of %s not written; its nodes fall back to the controller", notice.commune)
        if self.link is None:
            return
        try:
            topic, payload = commune_playlist_topic(notice.commune), encode(notice)
            if confirms is not None:
                confirms.append((notice.commune, self.link.publish_nowait(topic, payload, retain=True)))
                return
            self.link.publish(topic, payload, retain=True)
        except BrokerUnavailable as exc:
            log.warning("playlist notice for %s not sent, nodes will poll: %s", notice.commune, exc)

    def follow_notice(self, payload: bytes) -> None:
        """A playlist notice another instance published: this instance's nginx files follow it
        (devices.content; before content has started, its start-up writes every commune's files anyway)."""
        if self.content is not None:
            self.content.follow(payload)

    def playlist_signer(self) -> CommandSigner:
        """The command key, which also signs the playlists urgent notices carry (nodes hold its public half)."""
        if self.commands is not None:
            return self.commands.signer
        if self._playlist_signer is None:
            self._playlist_signer = CommandSigner.load_or_create(self.settings.fleet.command_key_file)
        return self._playlist_signer

    def command_public_key(self) -> str:
        """The key nodes verify commands with (raw Ed25519, base64), for provisioning a node."""
        if self.commands is not None:
            return self.commands.signer.public_key_b64
        return CommandSigner.load_or_create(self.settings.fleet.command_key_file).public_key_b64

    def start_health(self) -> HealthMonitor:
        """Watch heartbeats; the health sweep (with the play audit) runs while this instance leads."""
        fleet = self.settings.fleet
        webhook = (
            AlertWebhook(
                fleet.webhook_url,
                timeout_s=fleet.webhook_timeout_s,
                retries=fleet.webhook_retries,
                backoff_s=fleet.webhook_retry_backoff_s,
                queue_max=fleet.webhook_queue_max,
            )
            if fleet.webhook_url
            else None
        )
        # Health runs on the real clock, not `self.clock`: heartbeats, last wills and uptime are real time
        # even when a test shifts the scheduling clock.
        self.health = HealthMonitor(self.sessions, fleet, webhook=webhook)
        self.health.add_check(audit_plays, every_s=fleet.play_audit_interval_s)
        if webhook is not None:
            webhook.start()
        return self.health

    def close(self) -> None:
        if self.leadership is not None:
            self.leadership.stop()  # stops the singleton jobs and releases the lease for the next leader
        if self.content is not None:
            self.content.stop()
        if self.feeds is not None:
            self.feeds.stop()
        if self.reports is not None:
            self.reports.stop()
        if self.sealer is not None:
            self.sealer.stop()
        if self.filer is not None:
            self.filer.stop()
        if self.command_sweeper is not None:
            self.command_sweeper.stop()
        if self.health is not None:
            self.health.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.link is not None:
            self.link.stop()
        self.engine.dispose()


def require_schema(engine: Engine) -> None:
    if not inspect(engine).has_table("alembic_version"):
        url = engine.url.render_as_string(hide_password=True)
        raise DatabaseNotMigrated(f"{url} has no schema; run: loaxa db upgrade")


def build_services(
    settings: Settings, *, connect_mqtt: bool = True, edge_transport: EdgeTransport | None = None
) -> Services:
    """Everything the routes share. `edge_transport` replaces the edge-tts cloud (tests use a stand-in)."""
    use_password_policy(settings.web.password_time_cost, settings.web.password_memory_kib)
    engine = make_engine(settings.database)
    wait_for_database(engine, settings.database.wait_timeout_s)
    require_schema(engine)
    sessions = session_factory(engine)
    store = AssetStore(settings.audio.storage_dir)
    services = Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        store=store,
        speech=SpeechRenderer(
            build_engines(settings.tts, edge_transport=edge_transport),
            settings.audio,
            SpeechCache(sessions, store),
            cooldown_s=settings.tts.engine_cooldown_s,
        ),
        session_slots=asyncio.Semaphore(settings.database.max_sessions),
    )
    if connect_mqtt:
        with sessions() as session:
            sync_broker_auth(session, settings.mqtt)
        fleet = settings.fleet
        health = services.start_health()
        uplink = UplinkHandler(
            sessions,
            retry_max_s=settings.mqtt.ingest_retry_max_s,
            play_check=PlayVerifier(
                clock_slack=timedelta(seconds=fleet.play_check_clock_slack_s),
                command_timeout=timedelta(seconds=fleet.command_timeout_s),
            ).flag,
            identity_watch=IdentityWatch(window_s=fleet.identity_window_s, births_max=fleet.identity_births_max),
            alarm=health.device_alarm,
            on_play=enqueue_play,  # proof of play goes up to the province's source system (results out)
        )
        uplink.register("heartbeat", health.handle_heartbeat)
        services.link = MqttLink(
            settings.mqtt,
            uplink.handle_batch,
            # Each instance's nginx serves its own files: they follow every instance's publications.
            playlist_notices=services.follow_notice if settings.content.enabled else None,
        )
        _wire_commands(services, uplink)
        services.link.start()
    return services


def _wire_commands(services: Services, uplink: UplinkHandler) -> None:
    """Signed commands: the signer, ack/result ingest, and the timeout sweep."""
    fleet = services.settings.fleet
    assert services.link is not None
    services.commands = CommandCenter(
        services.sessions,
        CommandSigner.load_or_create(fleet.command_key_file),
        services.link.publish,
        timeout_s=fleet.command_timeout_s,
        alarm=services.health.device_alarm if services.health is not None else None,
    )
    uplink.register_batch(("ack", "result"), services.commands.on_answers)
