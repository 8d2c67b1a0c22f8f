"""Test helpers shared across the suite: the Invoicebox sandbox as a real server
(:mod:`tests.support.sandbox`) and a notification receiver (:mod:`tests.support.receiver`)."""
