//! Link the `portcast` executable as a position-dependent (non-PIE) binary on Linux.
//!
//! As a PIE, the 52 MB binary carries about 204,000 relative relocations that the dynamic
//! loader applies at every start, writing to thousands of pages before `main` runs: 5 ms of
//! a 5 ms `portcast --version`, and about a tenth of a one-target `forecast` (the calls that
//! bench and cron make by the hundred). Linked with `-no-pie` there are 141 relocations left
//! and `--version` takes 1.5 ms (`farm-bench -n 60`, medians). The cost is address-space
//! randomisation of the executable's own image (shared libraries, stack and heap stay
//! randomised), acceptable for a command-line tool that reads local files and a handful of
//! HTTPS sources. Only the binary is affected (`rustc-link-arg-bins`): the library, tests and
//! benchmarks link as before, and no dependency is rebuilt. Outputs are byte-identical.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
