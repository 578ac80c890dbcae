#!/usr/bin/env python3
"""Fit the simulator's population model to the PhysioNet face/oral temperature table.

Prints the constants embedded in Sources/Simulation/Population.swift. The data itself is never
copied into the project: only these summary statistics are.

Usage: tools/fit_population.py [PATH/TO/FLIR_groups1and2.csv]
Default path: $CANTHUS_REFDATA or ../shared/refdata, + face-oral-temp-physionet/FLIR_groups1and2.csv
"""
import csv
import os
import sys

import numpy as np

FEVER_ORAL_C = 37.5


def load(path, *extra):
    """canthiMax1 and aveOralM of the subjects that have both, then each `extra` column of the
    same subjects (e.g. "T_atm"), as arrays."""
    rows = list(csv.reader(open(path, newline="")))
    header = rows[2]  # three header rows: rounds, regions, column codes
    columns = [header.index(name) for name in ("canthiMax1", "aveOralM", *extra)]
    values = []
    for r in rows[3:]:
        try:
            c, o = float(r[columns[0]]), float(r[columns[1]])
        except (ValueError, IndexError):
            continue  # a few subjects lack one of the two values
        values.append([c, o, *(float(r[i]) for i in columns[2:])])
    return tuple(np.array(column) for column in zip(*values))


def main():
    root = os.environ.get("CANTHUS_REFDATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "refdata")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "face-oral-temp-physionet", "FLIR_groups1and2.csv")
    canthus, oral = load(path)
    print(f"// subjects with both values: {len(canthus)}; oral >= {FEVER_ORAL_C}: {(oral >= FEVER_ORAL_C).sum()}")
    print(f"// mean(oral - canthus) = {np.mean(oral - canthus):.4f} K")
    for name, m in (("normal", oral < FEVER_ORAL_C), ("febrile", oral >= FEVER_ORAL_C)):
        q = np.quantile(canthus[m], np.linspace(0, 1, 21))
        slope, intercept = np.polyfit(canthus[m], oral[m], 1)
        resid = oral[m] - (intercept + slope * canthus[m])
        print(f"{name}: n={m.sum()} quantiles=[{', '.join(f'{x:.3f}' for x in q)}]")
        print(f"{name}: oral = {intercept:.4f} + {slope:.4f} * canthus, residual sd {resid.std():.4f}")


if __name__ == "__main__":
    main()
