"""A run's shared stack listing never serves what this process knows to be out of date."""

from __future__ import annotations

from providers.gcp import vertex
from providers.gcp.vertex import StackListing

PARENT = "projects/p/locations/us-central1"
LABELS = {"gt-stack-id": "abc123"}


def counting_fetch():
    calls = []

    def fetch() -> StackListing:
        calls.append(1)
        return StackListing(jobs=[], endpoints=[])
    return fetch, calls


def test_reads_in_one_run_share_one_listing():
    listings = vertex._Listings()
    fetch, calls = counting_fetch()
    first = listings.get(PARENT, LABELS, fetch)
    assert listings.get(PARENT, dict(LABELS), fetch) is first
    assert len(calls) == 1


def test_a_write_in_the_region_drops_the_listing():
    listings = vertex._Listings()
    fetch, calls = counting_fetch()
    listings.get(PARENT, LABELS, fetch)
    listings.forget(PARENT)
    listings.get(PARENT, LABELS, fetch)
    assert len(calls) == 2


def test_a_write_during_the_listing_keeps_it_from_later_reads():
    listings = vertex._Listings()
    calls = []

    def fetch_while_another_thread_writes() -> StackListing:
        calls.append(1)
        if len(calls) == 1:
            listings.forget(PARENT)  # lands after the listing's pages were read
        return StackListing(jobs=[], endpoints=[])

    listings.get(PARENT, LABELS, fetch_while_another_thread_writes)
    listings.get(PARENT, LABELS, fetch_while_another_thread_writes)
    assert len(calls) == 2


def test_an_old_listing_is_read_again(monkeypatch):
    listings = vertex._Listings()
    fetch, calls = counting_fetch()
    now = [1000.0]
    monkeypatch.setattr(vertex.time, "monotonic", lambda: now[0])
    listings.get(PARENT, LABELS, fetch)
    now[0] += vertex.LISTING_MAX_AGE_SECONDS + 0.1
    listings.get(PARENT, LABELS, fetch)
    assert len(calls) == 2


def test_a_listing_taken_while_a_write_runs_is_not_kept_after_it():
    client = vertex.VertexClient.__new__(vertex.VertexClient)  # no channel: the calls are fakes
    client.parent = PARENT
    fetch, calls = counting_fetch()

    def set_traffic_while_another_thread_lists(**_kwargs):
        vertex._listings.get(PARENT, LABELS, fetch)  # before the write takes effect in Vertex
        return "operation"

    with client._changing():
        set_traffic_while_another_thread_lists()
    vertex._listings.get(PARENT, LABELS, fetch)

    assert len(calls) == 2
