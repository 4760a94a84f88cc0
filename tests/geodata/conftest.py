from tests.proposals.conftest import *  # noqa: F403 - proposal fixtures compose into analysis
