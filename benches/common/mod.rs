//! Shared by the benchmarks: a short criterion configuration (the machine is
//! small and shared) and ratios against a baseline measured in the same run.
#![allow(dead_code, reason = "each benchmark uses a part")]

use std::time::Duration;

use criterion::Criterion;

/// Few samples, short measurements: enough for ratios, kind to a shared machine.
pub fn quick() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .without_plots()
}

/// A named piece of work to time.
pub type Work<'a> = (&'a str, &'a mut dyn FnMut());

/// This thread's CPU time, which a neighbour that takes the core away does
/// not inflate.
pub struct Clock;

impl Clock {
    pub fn now() -> Duration {
        cpu_time::ThreadTime::now().as_duration()
    }
}

/// Each piece of work's median time per call, over interleaved rounds (so
/// a noisy neighbour slows all of them alike), on this thread's CPU clock.
pub fn medians(works: &mut [Work<'_>], rounds: usize, slice: Duration) -> Vec<f64> {
    medians_by(Clock::now, works, rounds, slice)
}

/// [`medians`] on wall time, for work that runs on other threads too.
pub fn wall_medians(works: &mut [Work<'_>], rounds: usize, slice: Duration) -> Vec<f64> {
    let start = std::time::Instant::now();
    medians_by(move || start.elapsed(), works, rounds, slice)
}

fn medians_by(
    now: impl Fn() -> Duration,
    works: &mut [Work<'_>],
    rounds: usize,
    slice: Duration,
) -> Vec<f64> {
    // How many calls fill a slice, for each piece of work.
    let counts: Vec<u32> = works
        .iter_mut()
        .map(|(_, work)| {
            let start = now();
            let mut n = 0u32;
            while n == 0 || now() - start < slice / 4 {
                work();
                n += 1;
            }
            (n * 4).max(1)
        })
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); works.len()];
    for _ in 0..rounds {
        for ((_, work), (n, t)) in works.iter_mut().zip(counts.iter().zip(&mut times)) {
            let start = now();
            for _ in 0..*n {
                work();
            }
            t.push((now() - start).as_secs_f64() / f64::from(*n));
        }
    }
    times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect()
}

/// Prints each piece of work's median time as a ratio to the baseline's,
/// measured in this same run.
pub fn ratios(title: &str, baseline: &str, works: &mut [Work<'_>]) {
    let medians = medians(works, ROUNDS, Duration::from_millis(40));
    print_ratios(title, baseline, works, &medians);
}

/// [`ratios`] on wall time, for work that runs on other threads too.
pub fn wall_ratios(title: &str, baseline: &str, works: &mut [Work<'_>]) {
    let medians = wall_medians(works, ROUNDS, Duration::from_millis(40));
    print_ratios(title, baseline, works, &medians);
}

const ROUNDS: usize = 11;

fn print_ratios(title: &str, baseline: &str, works: &[Work<'_>], medians: &[f64]) {
    let base = works
        .iter()
        .position(|(name, _)| *name == baseline)
        .map_or(medians[0], |i| medians[i]);
    println!("\n{title}: median of {ROUNDS} interleaved rounds, as a ratio to `{baseline}`");
    for ((name, _), m) in works.iter().zip(medians) {
        println!("  {name:<28} {:>8.2}x   ({})", m / base, human(*m));
    }
    println!();
}

/// `1.23 µs` and the like.
pub fn human(seconds: f64) -> String {
    match seconds {
        s if s >= 1.0 => format!("{s:.2} s"),
        s if s >= 1e-3 => format!("{:.2} ms", s * 1e3),
        s if s >= 1e-6 => format!("{:.2} µs", s * 1e6),
        s => format!("{:.1} ns", s * 1e9),
    }
}
