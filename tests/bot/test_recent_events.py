"""Recent event ids: a retry is recognised, the oldest ids are forgotten first, threads agree."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bot.recent_events import RecentEvents


def test_a_retry_is_recognised_until_it_is_the_oldest_of_too_many() -> None:
    seen = RecentEvents(capacity=3)
    assert [seen.first_time(e) for e in ("Ev1", "Ev2", "Ev1", "Ev3")] == [True, True, False, True]
    assert seen.first_time("Ev4")  # Ev2 was the oldest: it is forgotten
    assert not seen.first_time("Ev1")  # Ev1 was seen again lately, so it stayed
    assert seen.first_time("Ev2")


def test_eight_threads_delivering_the_same_event_queue_it_once() -> None:
    seen = RecentEvents()
    with ThreadPoolExecutor(8) as pool:
        firsts = list(pool.map(lambda _: seen.first_time("Ev-same"), range(64)))
    assert firsts.count(True) == 1
