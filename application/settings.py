"""Settings, built once at the edge (CLI, server, tests) and passed down.

Nothing else reads the environment: `Settings.from_environ` is the one place that does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

#: The event log's application name (PostgreSQL tables are ``fangpin_events`` …).
APP_NAME = "fangpin"
DEFAULT_SQLITE_PATH = Path("var/fangpin.sqlite3")
DEFAULT_SIGNING_KEY = Path("var/fangpin-signing-key.pem")
DEFAULT_CHECKPOINT_DIR = Path("var/checkpoints")
#: Connections a county's (or the province's) store keeps open in each process: the library
#: opens its whole pool at once and grows it by demand (up to ten more), and a server process
#: holds every county it has served, so five each would exhaust PostgreSQL's 100 connections
#: at a handful of counties.
DEPLOYMENT_STORE_POOL = 1
#: A county's 行政区划代码: six digits (e.g. 130630 涞源县).
COUNTY_CODE = re.compile(r"[0-9]{6}")  # ASCII only: full-width digits would name another store
RETIRED_CACHE_SIZE = (
    "FANGPIN_CACHE_SIZE is retired: the aggregate cache is bounded by memory now. Set "
    "FANGPIN_CACHE_MB instead (default 32; 0 turns the cache off) and unset FANGPIN_CACHE_SIZE.")


@dataclass(frozen=True)
class Settings:
    """Where the event log lives and how the application keeps aggregates.

    ``database_url`` chooses the back end: ``None`` or ``sqlite:///path`` is the embedded SQLite
    file (the default, under ``./var/``); ``postgresql://user@host:port/dbname`` is PostgreSQL.
    """

    database_url: str | None = None
    sqlite_path: Path = DEFAULT_SQLITE_PATH
    postgres_schema: str | None = None
    #: Take a snapshot of a household every this many events (0: never).
    snapshot_interval: int = 10
    #: Memory (MB) each process keeps for recently used case files, encoded, in each store it
    #: has open (0: none): `application.store.cache`.
    aggregate_cache_mb: float = 32.0
    postgres_pool_size: int = 5
    #: Seconds a PostgreSQL connection may take to get, before the request fails (the library
    #: tries again a few times): short, so that a failover is met by errors, not by hangs.
    postgres_connect_timeout: int = 30
    #: The department push cadence table (None: the one shipped, application/cadences.toml).
    cadences_path: Path | None = None
    #: The county's public-notice terms: header and where to object (None: application/notices.toml).
    notices_path: Path | None = None
    #: The department roster table (None: the one shipped, application/rosters.toml).
    rosters_path: Path | None = None
    #: The county's time limits, e.g. the appeal answer deadline (None: application/deadlines.toml).
    deadlines_path: Path | None = None
    #: The exchange exports' mapping of columns and codes (None: the one shipped,
    #: interfaces/exchange.toml).
    exchange_mapping_path: Path | None = None
    #: The Ed25519 private key that signs log checkpoints (`fangpin audit keygen` writes one).
    signing_key_path: Path = DEFAULT_SIGNING_KEY
    #: The public key checkpoints must be signed with (hex or a PEM file); None: the signing
    #: key's own public key, when it is present.
    audit_public_key: str | None = None
    #: Where signed checkpoints are written as files, to be copied off the server.
    checkpoint_dir: Path = DEFAULT_CHECKPOINT_DIR
    #: AES key (base64 of 16, 24 or 32 bytes) encrypting event state at rest; None: no encryption.
    cipher_key: str | None = field(default=None, repr=False)
    #: Keep a photo's EXIF (location, device) as sent; by default it is stripped before the
    #: photo is kept and its digest taken (`application.evidence.content`).
    keep_photo_metadata: bool = False
    #: A hot standby of the PostgreSQL log (`scripts/pg-standby-pair`): lists, read models,
    #: case-file reads, exports and indicators are read there; commands go to ``database_url``.
    read_database_url: str | None = None
    #: These settings open a read-only copy (a hot standby): no table is created, nothing written.
    read_only: bool = False
    #: Server processes trace their allocations and write snapshots here, for finding a leak
    #: (None: off; `interfaces.heap_trace`), every ``heap_trace_minutes``, keeping
    #: ``heap_trace_frames`` frames a block (0: not traced, the memory figures alone).
    heap_trace_dir: Path | None = None
    heap_trace_minutes: float = 2.0
    heap_trace_frames: int = 16

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from ``FANGPIN_*`` variables (``FANGPIN_DATABASE_URL``, ``FANGPIN_SQLITE_PATH``,
        ``FANGPIN_POSTGRES_SCHEMA``, ``FANGPIN_SNAPSHOT_INTERVAL``, ``FANGPIN_CACHE_MB``,
        ``FANGPIN_CADENCES``, ``FANGPIN_NOTICES``, ``FANGPIN_ROSTERS``, ``FANGPIN_DEADLINES``,
        ``FANGPIN_EXCHANGE_MAPPING``,
        ``FANGPIN_SIGNING_KEY``, ``FANGPIN_AUDIT_PUBLIC_KEY``, ``FANGPIN_CHECKPOINT_DIR``,
        ``FANGPIN_CIPHER_KEY``, ``FANGPIN_KEEP_PHOTO_METADATA``, ``FANGPIN_READ_DATABASE_URL``,
        ``FANGPIN_POSTGRES_CONNECT_TIMEOUT``, ``FANGPIN_HEAP_TRACE_DIR``,
        ``FANGPIN_HEAP_TRACE_MINUTES``, ``FANGPIN_HEAP_TRACE_FRAMES``, ``FANGPIN_COUNTY``)."""
        settings = cls(database_url=environ.get("FANGPIN_DATABASE_URL") or None)
        if environ.get("FANGPIN_SQLITE_PATH"):
            settings = replace(settings, sqlite_path=Path(environ["FANGPIN_SQLITE_PATH"]))
        if environ.get("FANGPIN_POSTGRES_SCHEMA"):
            settings = replace(settings, postgres_schema=environ["FANGPIN_POSTGRES_SCHEMA"])
        if environ.get("FANGPIN_SNAPSHOT_INTERVAL"):
            settings = replace(settings, snapshot_interval=_number(environ, "FANGPIN_SNAPSHOT_INTERVAL", int))
        if environ.get("FANGPIN_CADENCES"):
            settings = replace(settings, cadences_path=Path(environ["FANGPIN_CADENCES"]))
        if environ.get("FANGPIN_NOTICES"):
            settings = replace(settings, notices_path=Path(environ["FANGPIN_NOTICES"]))
        if environ.get("FANGPIN_ROSTERS"):
            settings = replace(settings, rosters_path=Path(environ["FANGPIN_ROSTERS"]))
        if environ.get("FANGPIN_DEADLINES"):
            settings = replace(settings, deadlines_path=Path(environ["FANGPIN_DEADLINES"]))
        if environ.get("FANGPIN_EXCHANGE_MAPPING"):
            settings = replace(settings,
                               exchange_mapping_path=Path(environ["FANGPIN_EXCHANGE_MAPPING"]))
        if environ.get("FANGPIN_SIGNING_KEY"):
            settings = replace(settings, signing_key_path=Path(environ["FANGPIN_SIGNING_KEY"]))
        if environ.get("FANGPIN_AUDIT_PUBLIC_KEY"):
            settings = replace(settings, audit_public_key=environ["FANGPIN_AUDIT_PUBLIC_KEY"])
        if environ.get("FANGPIN_CHECKPOINT_DIR"):
            settings = replace(settings, checkpoint_dir=Path(environ["FANGPIN_CHECKPOINT_DIR"]))
        if environ.get("FANGPIN_CIPHER_KEY"):
            settings = replace(settings, cipher_key=environ["FANGPIN_CIPHER_KEY"])
        if environ.get("FANGPIN_KEEP_PHOTO_METADATA", "").strip().lower() in ("1", "true", "yes"):
            settings = replace(settings, keep_photo_metadata=True)
        if environ.get("FANGPIN_READ_DATABASE_URL"):
            settings = replace(settings, read_database_url=environ["FANGPIN_READ_DATABASE_URL"])
        if environ.get("FANGPIN_POSTGRES_CONNECT_TIMEOUT"):
            settings = replace(settings, postgres_connect_timeout=_number(
                environ, "FANGPIN_POSTGRES_CONNECT_TIMEOUT", int))
        if environ.get("FANGPIN_HEAP_TRACE_DIR"):
            settings = replace(settings, heap_trace_dir=Path(environ["FANGPIN_HEAP_TRACE_DIR"]))
        if environ.get("FANGPIN_HEAP_TRACE_MINUTES"):
            settings = replace(settings, heap_trace_minutes=_number(
                environ, "FANGPIN_HEAP_TRACE_MINUTES", float))
        if environ.get("FANGPIN_HEAP_TRACE_FRAMES"):
            settings = replace(settings, heap_trace_frames=_number(
                environ, "FANGPIN_HEAP_TRACE_FRAMES", int))
        if environ.get("FANGPIN_CACHE_SIZE"):
            raise ValueError(RETIRED_CACHE_SIZE)
        if environ.get("FANGPIN_CACHE_MB"):
            settings = replace(settings, aggregate_cache_mb=_number(
                environ, "FANGPIN_CACHE_MB", float))
        if environ.get("FANGPIN_COUNTY"):  # one county's store of a many-county deployment
            settings = settings.county_store(environ["FANGPIN_COUNTY"])
        return settings

    def __post_init__(self) -> None:
        if self.database_url and not self.database_url.startswith(
            ("postgresql://", "postgres://", "sqlite:///")
        ):
            raise ValueError(
                f"FANGPIN_DATABASE_URL must be postgresql://… or sqlite:///…, not {self.database_url!r}"
            )
        if self.read_database_url is not None and (
                self.backend != "postgres"
                or not self.read_database_url.startswith(("postgresql://", "postgres://"))):
            raise ValueError(
                "FANGPIN_READ_DATABASE_URL must be postgresql://… (a hot standby of the PostgreSQL "
                f"log), and needs FANGPIN_DATABASE_URL on PostgreSQL, not {self.read_database_url!r}"
            )
        if not 0 <= self.aggregate_cache_mb < math.inf:  # NaN too
            raise ValueError(f"FANGPIN_CACHE_MB must be 0 or more, not {self.aggregate_cache_mb!r}")
        if self.cipher_key is not None:
            from application.store.encryption import key_problem

            problem = key_problem(self.cipher_key)
            if problem:
                raise ValueError(problem)

    def county_store(self, code: str) -> Settings:
        """The store of county ``code`` (its 6-digit 行政区划代码) in the deployment these settings
        are the root of: PostgreSQL schema ``fangpin_county_<code>`` in the same database, or the SQLite
        file ``counties/<code>.sqlite3`` beside the root file; its own signing key and checkpoints."""
        if not COUNTY_CODE.fullmatch(code):
            raise ValueError(f"县代码应为6位行政区划代码，不是 {code!r}")
        return replace(self, **self._store_places(f"county_{code}", f"counties/{code}"))

    def province_store(self) -> Settings:
        """The province's own store in this deployment: its users, its held rows, the counties
        registered and the provincial read models (schema ``fangpin_province``, or the file
        ``province.sqlite3`` beside the root file)."""
        return replace(self, **self._store_places("province", "province"))

    def _store_places(self, schema: str, name: str) -> dict[str, object]:
        """Where a store of the deployment lives: its schema named after the root's (so that
        two deployments in one database never meet), or its file beside the root file."""
        root = self.sqlite_file.parent
        places: dict[str, object] = {
            "signing_key_path": self.signing_key_path.parent / f"{name}-signing-key.pem",
            "checkpoint_dir": self.checkpoint_dir / name,
            "postgres_pool_size": min(self.postgres_pool_size, DEPLOYMENT_STORE_POOL),
        }
        if self.backend == "postgres":
            places["postgres_schema"] = f"{self.postgres_schema or 'fangpin'}_{schema}"
        else:
            places.update(database_url=None, sqlite_path=root / f"{name}.sqlite3")
        return places

    @property
    def backend(self) -> str:
        """``"postgres"`` or ``"sqlite"``."""
        if self.database_url and urlparse(self.database_url).scheme.startswith("postgres"):
            return "postgres"
        return "sqlite"

    def standby(self) -> Settings:
        """The settings that read the hot standby (``read_database_url``), read-only."""
        if self.read_database_url is None:
            raise ValueError("no FANGPIN_READ_DATABASE_URL")
        return replace(self, database_url=self.read_database_url, read_database_url=None,
                       read_only=True)

    @property
    def sqlite_file(self) -> Path:
        if self.database_url and self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.sqlite_path

    def describe(self) -> str:
        """Where the log is, for people (no password)."""
        if self.backend == "sqlite":
            return f"SQLite {self.sqlite_file}"
        url = urlparse(self.database_url or "")
        schema = f" schema {self.postgres_schema}" if self.postgres_schema else ""
        return f"PostgreSQL {url.hostname}:{url.port or 5432}/{url.path.lstrip('/')}{schema}"

    def eventsourcing_env(self) -> dict[str, str]:
        """The eventsourcing library's settings for these settings."""
        env = {
            "MAPPER_TOPIC": "application.store.mapper:MsgspecMapper",
            "IS_SNAPSHOTTING_ENABLED": "y" if self.snapshot_interval else "n",
        }
        if self.cipher_key:
            env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher",
                       CIPHER_KEY=self.cipher_key)
        if self.backend == "sqlite":
            self.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            env.update(
                PERSISTENCE_MODULE="application.store.recorders:FangpinSQLiteFactory",
                SQLITE_DBNAME=str(self.sqlite_file),
            )
            return _named(env)
        url = urlparse(self.database_url or "")
        env.update(
            PERSISTENCE_MODULE="application.store.recorders:FangpinPostgresFactory",
            POSTGRES_DBNAME=url.path.lstrip("/") or "postgres",
            POSTGRES_HOST=url.hostname or "127.0.0.1",
            POSTGRES_PORT=str(url.port or 5432),
            POSTGRES_USER=unquote(url.username or "postgres"),
            POSTGRES_PASSWORD=unquote(url.password or ""),
            POSTGRES_POOL_SIZE=str(self.postgres_pool_size),
            POSTGRES_CONNECT_TIMEOUT=str(self.postgres_connect_timeout),
        )
        if self.postgres_schema:
            env["POSTGRES_SCHEMA"] = self.postgres_schema
        if self.read_only:  # a hot standby refuses DDL, even CREATE … IF NOT EXISTS
            env["CREATE_TABLE"] = "n"
        return _named(env)


def _named(env: dict[str, str]) -> dict[str, str]:
    """``env`` with each key also under the application's name: the library looks for
    ``FANGPIN_POSTGRES_SCHEMA`` before ``POSTGRES_SCHEMA``, in the process environment too, so a
    ``FANGPIN_POSTGRES_SCHEMA`` set for the root store would otherwise place every other store
    of the deployment (a county's, the province's) in the root's schema."""
    return {**env, **{f"{APP_NAME.upper()}_{key}": value for key, value in env.items()}}


def _number(environ: Mapping[str, str], name: str, kind: type[int] | type[float]) -> int | float:
    """The number a variable holds; `ValueError` naming the variable when it holds none."""
    try:
        return kind(environ[name])
    except ValueError:
        what = "整数" if kind is int else "数"
        raise ValueError(f"{name} 须为{what}，而不是 {environ[name]!r}") from None
