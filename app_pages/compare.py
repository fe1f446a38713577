"""Compare: two sessions' tool calls aligned side by side, or two tool calls, with a JSON diff.

The ids (`a`, `b`: two sessions or two tool calls), the chosen pair and the view's flags live
in the URL, so a link reopens this comparison for any member of the same organization.
"""

from __future__ import annotations

from components import compare_view
from components.viewer import current_viewer

compare_view.compare_page(current_viewer().org_id)
