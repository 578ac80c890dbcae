#!/usr/bin/env python3
"""The skin→core offset and its screening performance on the PhysioNet face/oral table.

Rule: body = canthiMax1 + offset; fever when body >= 37.5 °C. Truth: aveOralM >= 37.5 °C.
Prints the mean oral − canthus offset, sensitivity/specificity at offsets around it, the offset
that maximises Youden's J (sensitivity + specificity − 1), and the AUC of canthiMax1 (the ROC of
the canthus reading itself, which no offset changes). Then the same with the offset set by the
room (T_atm): offset + slope × (T_atm − 24 °C), the slope that of oral − canthus against T_atm
over the normal subjects. docs/screening.md quotes this output.

Usage: tools/physionet_roc.py [PATH/TO/FLIR_groups1and2.csv]
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from fit_population import load  # noqa: E402

FEVER_C = 37.5
REFERENCE_ROOM_C = 24.0  # the subjects' median room (°C), where the offset holds as is


def rates(canthus, oral, offset):
    febrile = oral >= FEVER_C
    alarm = canthus + offset >= FEVER_C
    sens = (alarm & febrile).sum() / febrile.sum()
    spec = (~alarm & ~febrile).sum() / (~febrile).sum()
    return sens, spec


def auc(score, positive):
    # Mann–Whitney: probability that a febrile subject's canthus reads above a normal one's (ties half).
    pos, neg = score[positive], score[~positive]
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return (greater + 0.5 * ties) / (len(pos) * len(neg))


def main():
    root = os.environ.get("CANTHUS_REFDATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "refdata")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "face-oral-temp-physionet", "FLIR_groups1and2.csv")
    canthus, oral = load(path)
    mean_offset = float(np.mean(oral - canthus))
    print(f"subjects {len(canthus)}, febrile (oral >= {FEVER_C}) {int((oral >= FEVER_C).sum())}")
    print(f"mean oral - canthus: {mean_offset:.4f} K")
    print(f"AUC of canthiMax1 against oral >= {FEVER_C}: {auc(canthus, oral >= FEVER_C):.4f}")
    best = max(np.arange(0.80, 2.001, 0.01), key=lambda o: sum(rates(canthus, oral, o)) - 1)
    for o in sorted({round(mean_offset, 2), round(float(best), 2), 1.0, 1.2, 1.4, 1.5, 1.6}):
        s, p = rates(canthus, oral, o)
        print(f"offset {o:.2f} K: alarm when canthus >= {FEVER_C - o:.2f} °C: sensitivity {s:.3f}, specificity {p:.3f}, J {s + p - 1:.3f}")
    print(f"offset maximising Youden's J: {best:.2f} K")
    # The cold bounds (cold_canthus_c, and cold_forehead_c for glasses wearers, whose reading
    # is of the forehead): the lowest canthus and the lowest forehead maximum of the subjects.
    _, _, forehead = load(path, "T_FH_Max1")
    print(f"lowest canthiMax1: {canthus.min():.2f} °C (next {np.sort(canthus)[1]:.2f}); "
          f"lowest T_FH_Max1 (forehead maximum): {forehead.min():.2f} °C (next {np.sort(forehead)[1]:.2f})")

    _, _, room = load(path, "T_atm")
    normal = oral < FEVER_C
    slope = float(np.polyfit(room[normal], (oral - canthus)[normal], 1)[0])
    print(f"room (T_atm) {room.min():.1f}–{room.max():.1f} °C, median {np.median(room):.1f} °C")
    print(f"slope of oral - canthus against the room (normal subjects): {slope:.4f} K/K"
          f" (correlation {np.corrcoef(room[normal], (oral - canthus)[normal])[0, 1]:.2f})")
    slope = round(slope, 3)
    corrected = canthus + slope * (room - REFERENCE_ROOM_C)
    print(f"AUC of canthiMax1 + {slope} × (T_atm − {REFERENCE_ROOM_C:g}): {auc(corrected, oral >= FEVER_C):.4f}")
    equal = min(np.arange(0.80, 2.001, 0.01), key=lambda o: abs(np.subtract(*rates(corrected, oral, o))))
    for o in sorted({round(float(equal), 2), 1.3, 1.4, 1.5}):
        s, p = rates(corrected, oral, o)
        print(f"offset {o:.2f} K at {REFERENCE_ROOM_C:g} °C, {slope} K/K: sensitivity {s:.3f}, specificity {p:.3f}")
    print(f"equal-error offset at {REFERENCE_ROOM_C:g} °C: {equal:.2f} K")


if __name__ == "__main__":
    main()
