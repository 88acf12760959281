"""_util.py - what every part of the package shares: MNE's logger and warnings when MNE is
importable (so log lines and warnings reach an MNE user where MNE's own would), MNE's
argument checks with MNE's messages, n_jobs and seeds as MNE reads them, and a progress bar.
"""
import logging
import numbers
import os
import warnings

import numpy as np

try:  # MNE's logger, verbose decorator, warn and ProgressBar, when MNE is there
    from mne.utils import logger, verbose, warn as _mne_warn, ProgressBar
    HAVE_MNE = True
except Exception:  # pragma: no cover - the package also works without MNE
    HAVE_MNE = False
    logger = logging.getLogger('clusterperm')
    ProgressBar = None

    def verbose(function):
        """Accept and ignore verbose= (MNE's decorator sets the log level)."""
        return function

    def _mne_warn(message, category=RuntimeWarning):
        warnings.warn(message, category, stacklevel=3)


def warn(message, category=RuntimeWarning):
    """A warning as MNE gives it (its warn points at the user's frame)."""
    _mne_warn(message, category)


def check_option(name, value, allowed):
    """MNE's _check_option message: Invalid value for the 'tail' parameter. ..."""
    if value in allowed:
        return value
    if len(allowed) == 1:
        options = 'The only allowed value is %s' % repr(allowed[0])
    else:
        options = 'Allowed values are '
        if len(allowed) == 2:
            options += ' and '.join(repr(v) for v in allowed)
        else:
            options += ', '.join(repr(v) for v in allowed[:-1])
            options += ', and %s' % repr(allowed[-1])
    raise ValueError("Invalid value for the '%s' parameter. %s, but got %r instead."
                     % (name, options, value))


def n_jobs_of(n_jobs):
    """MNE's check_n_jobs: None -> 1, negative counts back from the cores."""
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, numbers.Integral):
        raise TypeError('n_jobs must be an integer, got %s' % type(n_jobs).__name__)
    n_jobs = int(n_jobs)
    if n_jobs <= 0:
        n_cores = os.cpu_count() or 1
        if n_jobs < 0 and n_cores + n_jobs + 1 < 1:
            raise ValueError('If n_jobs has a negative value it must not be less than '
                             'the number of CPUs present. You\'ve got %s CPUs' % n_cores)
        n_jobs = max(n_cores + n_jobs + 1, 1) if n_jobs < 0 else 1
    return n_jobs


def seed_kind(seed):
    """('int', value) for a seed the engine draws from itself (MNE's RandomState(seed)), or
    ('rng', generator) for a generator whose draws the package makes in MNE's way."""
    if seed is None:
        return 'rng', np.random.mtrand._rand
    if isinstance(seed, (numbers.Integral, np.integer)):
        if not 0 <= int(seed) < 2 ** 32:
            np.random.RandomState(seed)  # numpy's own error for a bad seed
        return 'int', int(seed)
    if isinstance(seed, (np.random.RandomState, np.random.Generator)):
        return 'rng', seed
    raise ValueError('%r cannot be used to seed a numpy.random.RandomState instance'
                     % (seed,))


class Progress:
    """MNE's progress bar over the engine's progress callbacks (one bar per pass)."""

    def __init__(self, mesg):
        self.mesg = mesg
        self.bar = None
        self.pass_ = -1

    def __call__(self, done, total, pass_):
        if ProgressBar is None:
            return False
        if pass_ != self.pass_:
            self.close()
            self.pass_ = pass_
            self.bar = ProgressBar(iterable=range(total), mesg=self.mesg)
            self.bar.__enter__()
        self.bar.update(done)
        return False

    def close(self):
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None
