"""Workspaces installed through OAuth: when each was installed and uninstalled, and the
deletion of an uninstalled workspace's data once its retention has passed. (The tokens
themselves live in slack-sdk's installation store: bot/oauth.py; migration 0003 makes its
tables.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel, col, select

import cadence.models  # noqa: F401  (every table with a team_id, for `purge`)
from cadence.models import UTCDateTime, WorkspaceStamp

RETENTION_DAYS = 30  # default of DATA_RETENTION_DAYS


class Workspace(SQLModel, table=True):
    """A workspace that installed the app through OAuth; `uninstalled_at` once it left."""

    team_id: str = Field(primary_key=True, max_length=32)
    installed_at: datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    uninstalled_at: datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )


def installed(s: Session, team_id: str, now: datetime) -> None:
    """The workspace installed the app (again): its data is kept."""
    workspace = s.get(Workspace, team_id)
    if workspace is None:
        s.add(Workspace(team_id=team_id, installed_at=now))
    else:
        workspace.installed_at, workspace.uninstalled_at = now, None
        s.add(workspace)
    s.flush()


def uninstalled(s: Session, team_id: str, now: datetime) -> None:
    """The workspace uninstalled the app (or revoked its bot token): its data is deleted
    once the retention has passed, unless it installs again before."""
    workspace = s.get(Workspace, team_id)
    if workspace is None:
        s.add(Workspace(team_id=team_id, installed_at=now, uninstalled_at=now))
    elif workspace.uninstalled_at is None:
        workspace.uninstalled_at = now
        s.add(workspace)
    s.flush()


def _team_tables() -> list[sa.Table]:
    """Every table with a team_id, children before the tables they refer to, the version of
    the workspace's lists after the rows whose deletion moves it."""
    tables = [t for t in reversed(SQLModel.metadata.sorted_tables) if "team_id" in t.c]
    return sorted(tables, key=lambda t: t.name == WorkspaceStamp.__tablename__)


def purge(s: Session, now: datetime, retention: timedelta) -> list[str]:
    """Delete every row of each workspace uninstalled at least `retention` before `now`, in
    every table with a team_id (its Workspace row last); returns their team ids."""
    query = select(Workspace.team_id).where(
        col(Workspace.uninstalled_at).is_not(None),
        col(Workspace.uninstalled_at) <= now - retention,
    )
    teams = list(s.exec(query).all())
    if teams and s.get_bind().dialect.name == "postgresql":
        # The version triggers run as each row goes, not at the commit: the version row,
        # deleted last, is not written again after it.
        s.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
    for team_id in teams:
        for table in _team_tables():
            s.execute(table.delete().where(table.c.team_id == team_id))
    s.flush()
    return teams
