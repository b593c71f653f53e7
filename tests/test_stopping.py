"""StopRequest: while installed, the polite signals only ask training to stop; after it, they
act as before. A signal the program was told to ignore stays ignored."""

import os
import signal

import pytest

from basicnet.stopping import StopRequest


@pytest.mark.parametrize("signame", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_becomes_a_request_and_the_handlers_come_back(signame):
    if not hasattr(signal, signame):
        pytest.skip(f"no {signame} here")
    sig = getattr(signal, signame)
    before = signal.signal(sig, lambda *a: None)
    try:
        handler = signal.getsignal(sig)
        called = []
        with StopRequest(on_request=lambda: called.append(True)) as stop:
            assert not stop.requested
            os.kill(os.getpid(), sig)
            os.kill(os.getpid(), sig)
            assert stop.requested and stop.count == 2 and called == [True, True]
            assert stop.signal == sig
            assert stop.words() == {"SIGINT": "interrupted", "SIGTERM": "terminated (SIGTERM)",
                                    "SIGHUP": "hung up (SIGHUP)"}[signame]
        assert signal.getsignal(sig) is handler
    finally:
        signal.signal(sig, before)


def test_an_ignored_signal_stays_ignored():
    if not hasattr(signal, "SIGHUP"):
        pytest.skip("no SIGHUP here")
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with StopRequest() as stop:
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)
        assert not stop.requested
    finally:
        signal.signal(signal.SIGHUP, before)
