"""The 1.5 °C future community (1.5°C未来社区): aggregates over households and shared services, privacy first.

Public API: :func:`summary`, :func:`summary_file`, :func:`action_catalogue`, :func:`privacy_threshold`,
:class:`PrivacyError`. See docs/community.md.
"""

from countyzero.community.engine import PrivacyError, action_catalogue, check_privacy, privacy_threshold, summary
from countyzero.community.model import CommunityInput, CommunitySummary
from countyzero.community.reader import read_community, summary_file

__all__ = [
    "CommunityInput", "CommunitySummary", "PrivacyError", "action_catalogue", "check_privacy", "privacy_threshold",
    "read_community", "summary", "summary_file",
]
