"""arraystudy.py - a small sensor study as numpy arrays, for the README's array examples
(tests/cli_readme.sh). Usage: python3 tests/arraystudy.py DIR

Writes DIR/easycapM1_neighb.mat (MNE 1.3's shipped FieldTrip neighbour file, copied),
DIR/channels.txt (the data's 32 channels, a subset of the file's in its order),
DIR/subNN/evoked.npy (12 subjects, channel x time, 32 x 40) and DIR/tfr.npy (the 12
subjects stacked: subject x channel x freq x time, 12 x 32 x 8 x 20), with an effect on a
channel's neighbourhood.
"""
import os
import shutil
import sys

import numpy as np
import mne

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
mat = os.path.join(os.path.dirname(mne.__file__), "channels", "data", "neighbors",
                   "easycapM1_neighb.mat")
shutil.copy(mat, os.path.join(out, "easycapM1_neighb.mat"))
adj, names = mne.channels.read_ch_adjacency(mat)
picks = list(range(0, 64, 2))[:32]
with open(os.path.join(out, "channels.txt"), "w") as f:
    f.write("\n".join(names[i] for i in picks) + "\n")
sub_adj = adj[picks][:, picks].tocsr()
centre = 10
effect = sorted(set([centre] + [int(j) for j in sub_adj[centre].indices]))
rng = np.random.RandomState(0)
tfr = np.empty((12, len(picks), 8, 20))
for s in range(12):
    x = rng.randn(len(picks), 40)
    x[np.ix_(effect, np.arange(15, 25))] += 1.0
    d = os.path.join(out, "sub%02d" % (s + 1))
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, "evoked.npy"), x)
    y = rng.randn(len(picks), 8, 20)
    y[np.ix_(effect, np.arange(2, 5), np.arange(8, 14))] += 1.0
    tfr[s] = y
np.save(os.path.join(out, "tfr.npy"), tfr)
