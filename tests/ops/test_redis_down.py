"""Redis down (a throwaway redis-server the test stops) must not mean a 500: the pages compute without the
cache, log that the cache failed, say that runs cannot be queued, and use the cache again once it is back."""

import logging

import pytest
import redis
from django.core.cache import cache

from careplans.models import PublicationTrigger
from careplans.services import Actor, publish
from reach.queue import forget_queue_status
from reach.services import create_run, execute_run
from tests.ops.conftest import redis_and_broker_at

pytestmark = pytest.mark.django_db

PAGES = [
    "/map/",
    "/map/table/",
    "/map/api/shapes/?band=coarse",
    "/map/api/shapes/?band=detail&cell=-4,101",
    "/map/api/sites/",
    "/map/api/unmet/",
    "/careplans/unmet/",
    "/careplans/unmet.csv",
    "/careplans/unmet.json",
]


@pytest.fixture
def commissioner_client(commissioner_client, small_world):
    run = execute_run(run_id=create_run().pk)
    assert run.status == "succeeded", run.error
    publish(actor=Actor(user=None, path="test"), trigger=PublicationTrigger.SCHEDULE)  # the unmet pages serve it
    return commissioner_client


def fetch_all(client) -> dict[str, tuple[int, bytes]]:
    answers = {}
    for url in PAGES:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        answers[url] = (response.status_code, body)
    return answers


def test_every_page_works_with_redis_down_and_uses_the_cache_again_when_it_is_back(
    commissioner_client, throwaway_redis, caplog
):
    with redis_and_broker_at(throwaway_redis.url):
        healthy = fetch_all(commissioner_client)
        assert {url: status for url, (status, _) in healthy.items()} == dict.fromkeys(PAGES, 200)
        assert redis.Redis.from_url(throwaway_redis.url).dbsize() > 0  # the pages did use the cache

        throwaway_redis.stop()
        forget_queue_status()  # as if QUEUE_STATUS_SECONDS had passed
        with caplog.at_level(logging.ERROR, logger="choicemap.cache"):
            degraded = fetch_all(commissioner_client)
        assert {url: status for url, (status, _) in degraded.items()} == dict.fromkeys(PAGES, 200)
        # The same figures without the cache (HTML pages differ anyway, by their CSRF tokens).
        for url in PAGES:
            if "/api/" in url or url.endswith((".csv", ".json")):
                assert degraded[url][1] == healthy[url][1], url
        assert b"The task queue cannot be reached" in degraded["/map/"][1]
        assert any(record.name == "choicemap.cache" for record in caplog.records)

        throwaway_redis.start()  # an empty Redis on the same port: no restart of the web process
        cache.set("back", 1)
        assert cache.get("back") == 1
        assert redis.Redis.from_url(throwaway_redis.url).exists("fault:1:back") == 1  # it is the new server
        recovered = fetch_all(commissioner_client)
        assert {url: status for url, (status, _) in recovered.items()} == dict.fromkeys(PAGES, 200)
