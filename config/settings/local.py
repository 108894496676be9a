"""Development: runs with nothing set (SQLite file, console email, debug on unless DEBUG=false)."""

from .base import *  # noqa: F403
from .env import env_bool, env_str

DEBUG = env_bool("DEBUG", True)
# A development-only key; production.py refuses to start without a real SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY") or "dev-only-insecure-key-do-not-use-in-production-0123456789"
