"""Password hashing at the production parameters: the rest of the suite hashes with cheap ones (tests/conftest.py)."""

import argon2
import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from coop.domain import accounts
from tests.conftest import TEST_HASHER


@pytest.fixture
def production_hashing():
    accounts.use_hasher(accounts.PRODUCTION_HASHER)
    yield
    accounts.use_hasher(TEST_HASHER)


def test_production_hashes_are_argon2id_at_the_rfc_9106_low_memory_profile(production_hashing):
    password_hash = accounts.hash_password("correct horse battery")
    assert argon2.extract_parameters(password_hash) == RFC_9106_LOW_MEMORY
    assert accounts.verify_password(password_hash, "correct horse battery")
    assert not accounts.verify_password(password_hash, "correct horse battery!")
    assert not accounts.needs_rehash(password_hash)


def test_a_hash_at_weaker_parameters_still_verifies_and_is_marked_for_rehashing(production_hashing):
    weak = TEST_HASHER.hash("correct horse battery")
    assert accounts.verify_password(weak, "correct horse battery")
    assert accounts.needs_rehash(weak)


def test_the_unknown_user_check_costs_as_much_as_a_real_one(production_hashing):
    assert argon2.extract_parameters(accounts._DUMMY_HASH) == RFC_9106_LOW_MEMORY
    assert not accounts.verify_password(accounts._DUMMY_HASH, "not a real password!")
