"""A real RabbitMQ for the AMQP tests: its URL comes from ``CANOPSIS_TEST_AMQP_URL``
(``bash .ci/rabbitmq`` starts one and prints it). Without it the tests skip and say why, except
under ``CI=true``, where a missing broker is a failure.

Each test publishes to an exchange of its own (durable, so that a broker restart keeps it), so
tests never see each other's messages; the exchange and the queues are deleted afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator

import pika
import pytest

URL_ENV = "CANOPSIS_TEST_AMQP_URL"


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: the AMQP tests must run; .ci/run starts RabbitMQ with .ci/rabbitmq)")
    pytest.skip(reason)


class _Url(str):
    """The test broker's URL, password masked when pytest shows it in a failure report."""

    def __repr__(self) -> str:
        return "'<CANOPSIS_TEST_AMQP_URL>'"


@pytest.fixture(scope="session")
def amqp_url() -> str:
    url = os.environ.get(URL_ENV)
    if not url:
        _missing(f'no RabbitMQ: {URL_ENV} is not set (eval "$(bash .ci/rabbitmq)" starts one and sets it)')
    try:
        pika.BlockingConnection(pika.URLParameters(url)).close()
    except Exception as error:
        _missing(f"RabbitMQ at {URL_ENV} does not answer: {type(error).__name__}")
    return _Url(url)


def rabbitmqctl(*args: str, timeout: float = 60) -> str:
    """Runs rabbitmqctl on the local broker (the tests that stop, block or close it need it)."""
    if shutil.which("rabbitmqctl") is None:
        _missing("rabbitmqctl is not installed: this test drives the local broker")
    done = subprocess.run(["rabbitmqctl", *args], capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class Broker:
    """Declares and cleans up the exchanges and queues of one test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.exchange = f"test.{uuid.uuid4().hex[:12]}"
        self.queues: list[str] = []
        self.exchanges = [self.exchange]

    def _channel(self):
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        return connection, connection.channel()

    def declare_exchange(self, name: str | None = None) -> str:
        name = name or self.exchange
        if name not in self.exchanges:
            self.exchanges.append(name)
        connection, channel = self._channel()
        try:
            channel.exchange_declare(name, "topic", durable=True)
        finally:
            connection.close()
        return name

    def queue_name(self, prefix: str = "q") -> str:
        name = f"{self.exchange}.{prefix}"
        self.queues.append(name)
        return name

    def declare_queue(self, prefix: str = "q", binding: str = "#", **arguments) -> str:
        name = self.queue_name(prefix)
        connection, channel = self._channel()
        try:
            channel.queue_declare(name, durable=True, arguments=arguments or None)
            channel.queue_bind(name, self.exchange, binding)
        finally:
            connection.close()
        return name

    def bind(self, queue: str, binding: str) -> None:
        connection, channel = self._channel()
        try:
            channel.queue_bind(queue, self.exchange, binding)
        finally:
            connection.close()

    def unbind(self, queue: str, binding: str) -> None:
        connection, channel = self._channel()
        try:
            channel.queue_unbind(queue, self.exchange, binding)
        finally:
            connection.close()

    def cleanup_queue(self, queue: str) -> None:
        connection, channel = self._channel()
        try:
            channel.queue_delete(queue)
        finally:
            connection.close()

    def depth(self, queue: str) -> int:
        connection, channel = self._channel()
        try:
            return channel.queue_declare(queue, passive=True).method.message_count
        finally:
            connection.close()

    def cleanup(self) -> None:
        try:
            connection, channel = self._channel()
        except Exception:
            return
        try:
            for queue in self.queues:
                channel.queue_delete(queue)
            for exchange in self.exchanges:
                channel.exchange_delete(exchange)
        finally:
            if connection.is_open:
                connection.close()


@pytest.fixture
def broker(amqp_url: str) -> Iterator[Broker]:
    broker = Broker(amqp_url)
    broker.declare_exchange()
    yield broker
    broker.cleanup()
