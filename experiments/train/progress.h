#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>

// The progress display of mg-train's epochs. On a terminal one line redrawn in place with '\r':
//   train [#########-----------]  450/1000  37.5 it/s  00:12 eta 00:14  loss 1.23
// Elsewhere (a log file, a pipe) plain complete lines, one per tenth of the total:
//   train  450/1000  45%  37.5 it/s  00:12 eta 00:14  loss 1.23
namespace mg::train {

struct ProgressOptions {
  std::FILE* out = stdout;
  // Redraw one line in place; unset: whether `out` is a terminal (isatty).
  std::optional<bool> terminal;
  // Seconds on a monotonic clock; unset: std::chrono::steady_clock. Tests inject a fake one.
  std::function<double()> now_seconds;
  // Least time between two redraws on a terminal: redrawing every step of a fast loop would
  // cost more than the step.
  double min_redraw_seconds = 0.1;
  // Terminal line width to cut the line to (a wrapped line breaks the '\r' redraw); 0: ask the
  // terminal (TIOCGWINSZ), no cut where it does not answer.
  int columns = 0;
};

class ProgressBar {
 public:
  // Starts the clock. Throws mg::Error naming `label` when total < 0.
  ProgressBar(std::string label, std::int64_t total, ProgressOptions options = {});
  // Ends a terminal line left open (an epoch cut short by an exception), so that what is written
  // next starts on its own line.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` items of `total` are through (clamped to [0, total]). `suffix` (e.g. "loss 1.23")
  // goes at the end of the line; an empty one keeps the last. A terminal redraws at most once per
  // min_redraw_seconds, and always on the final item; plain output writes a line each time
  // `done` enters a new tenth of the total. Ignored after finish().
  void update(std::int64_t done, std::string suffix = "");
  // Writes the final state (the last `done`, the elapsed time so far) and ends the line; plain
  // output skips it when its last line already says the same. Later calls are ignored.
  void finish(std::string suffix = "");

  std::int64_t done() const { return done_; }

 private:
  double elapsed() const;
  std::string terminal_line(double elapsed) const;
  void write_plain_line(double elapsed);
  void write(const std::string& text);

  std::string label_;
  std::int64_t total_;
  ProgressOptions options_;
  bool terminal_;
  int columns_;
  double start_;
  std::int64_t done_ = 0;
  std::string suffix_;
  bool finished_ = false;
  bool line_open_ = false;             // terminal: a line drawn and not yet ended
  std::optional<double> last_redraw_;  // terminal
  std::int64_t last_tenth_ = 0;        // plain: the tenth of the total the last line reached
  std::int64_t plain_done_ = -1;       // plain: `done` and the suffix of the last line written
  std::string plain_suffix_;
};

// "mm:ss" under an hour, "h:mm:ss" from one hour on (seconds rounded down); "?" for a negative
// or non-finite time.
std::string format_duration(double seconds);

// Items per second with three significant digits where they fit ("0.123", "37.5", "1234").
std::string format_rate(double per_second);

}  // namespace mg::train
