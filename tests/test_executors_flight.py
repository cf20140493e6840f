"""Single flight (dj_layouts.executors.flight): one leader per key, the others wait for it."""

from __future__ import annotations

import asyncio
import threading
import time

from dj_layouts.executors import Flight, FlightBoard


def test_the_first_to_board_a_key_leads_and_the_others_follow() -> None:
    board = FlightBoard()
    flight, leader = board.board("k")
    same, follower = board.board("k")
    other, other_leader = board.board("other")

    assert (leader, follower, other_leader) == (True, False, True)
    assert same is flight
    assert other is not flight
    assert len(board) == 2


def test_waiters_get_what_the_leader_lands_and_the_next_one_leads_anew() -> None:
    board = FlightBoard()
    flight, _ = board.board("k")
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.append(board.board("k")[0].wait(5)))
    waiter.start()
    time.sleep(0.05)
    board.land("k", flight, "html")
    waiter.join(5)

    assert got == ["html"]
    assert len(board) == 0
    assert board.board("k")[1] is True


def test_a_wait_that_runs_out_answers_none() -> None:
    flight = Flight()
    started = time.perf_counter()

    assert flight.wait(0.05) is None
    assert time.perf_counter() - started < 1


async def test_async_waiters_do_not_block_the_loop_and_get_the_outcome() -> None:
    board = FlightBoard()
    flight, _ = board.board("k")
    waiters = [asyncio.ensure_future(flight.await_(5)) for _ in range(3)]
    await asyncio.sleep(0.01)
    assert not any(w.done() for w in waiters)  # the loop kept running meanwhile

    board.land("k", flight, {"html": "x"})

    assert await asyncio.gather(*waiters) == [{"html": "x"}] * 3


async def test_a_cancelled_async_waiter_leaves_the_flight_to_the_others() -> None:
    flight = Flight()
    cancelled = asyncio.ensure_future(flight.await_(5))
    other = asyncio.ensure_future(flight.await_(5))
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.sleep(0.01)
    flight.future.set_result("done")

    assert await other == "done"
    assert cancelled.cancelled()
    assert await flight.await_(0.01) == "done"


async def test_an_async_wait_that_runs_out_answers_none() -> None:
    assert await Flight().await_(0.02) is None
