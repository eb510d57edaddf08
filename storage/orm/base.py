"""The declarative base of every triagebot table, with stable constraint names."""

from __future__ import annotations

import logging

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

logger = logging.getLogger(__name__)

# Stable constraint names, so migrations can drop them on every engine.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every triagebot table (slack_sdk's tables live outside it)."""

    metadata = MetaData(naming_convention=NAMING)
