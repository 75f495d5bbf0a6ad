"""Python twin of `linalg::test_support::Lcg` (src/analysis/linalg.rs), imported by the other scripts.

Recovered verbatim from the code quoted in src/analysis/linalg.rs (line 192); not run on its own
(see tests/golden/README.md).
"""
class Lcg:
    def __init__(self, seed): self.s = seed % 2**64
    def uniform(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.s >> 11) / 2**53
    def normal(self):  # Irwin-Hall: sum of 12 uniforms - 6 (exact arithmetic only)
        return sum(self.uniform() for _ in range(12)) - 6.0
