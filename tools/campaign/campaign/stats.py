"""stats.py - how much a sample of runs says about the whole fault space.

Statistical fault injection (Leveugle, Calvez, Maistri, Vanhauwaert,
"Statistical fault injection: quantified error and confidence", DATE 2009):
for a fault space of N faults, n = N / (1 + e^2 (N-1) / (t^2 p (1-p))) runs
give every outcome share within +-e at the confidence of t (1.96 for 95%),
p = 0.5 being the worst case.  Turned around, n runs give the margin
e = t sqrt(p(1-p)/n * (N-n)/(N-1)).

Each share also gets its own 95% interval: the Wilson score interval, which
stays inside [0, 1] and is honest for shares near 0 (monitor failures:
0 of 1000 still allows up to 0.38%).  Multiplied by N it extrapolates
absolute counts for the whole space.
"""
import math

Z95 = 1.959963984540054


def sample_size(N, e=0.01, t=Z95, p=0.5):
    """Runs needed for a margin e at confidence t over a space of N faults."""
    if N <= 1:
        return N
    return math.ceil(N / (1 + e * e * (N - 1) / (t * t * p * (1 - p))))


def margin(n, N, t=Z95, p=0.5):
    """The worst-case margin of n runs drawn from N faults."""
    if n <= 0:
        return 1.0
    if n >= N:
        return 0.0      # the whole space was run
    fpc = (N - n) / (N - 1)
    return t * math.sqrt(p * (1 - p) / n * fpc)


def wilson(k, n, z=Z95):
    """95% interval (lo, hi) of a share k/n."""
    if n == 0:
        return 0.0, 1.0
    phat = k / n
    den = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / den
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)
