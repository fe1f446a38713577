"""The benchmark's browser-side figures that need a real Chromium to mean anything."""

from __future__ import annotations

from bench.browser import main_thread_ms

BUSY_PAGE = """data:text/html,<script>
const until = performance.now() + 300; while (performance.now() < until) {}
</script><p>done</p>"""


def test_main_thread_time_counts_the_work_a_page_makes_its_main_thread_do(browser) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto("data:text/html,<p>idle</p>")
        idle = main_thread_ms(cdp)
        page.goto(BUSY_PAGE)
        page.get_by_text("done").wait_for()
        busy = main_thread_ms(cdp)
    finally:
        context.close()
    assert busy - idle >= 290, (idle, busy)  # the page's 300 ms loop, and not much else
    assert idle < 200, idle
