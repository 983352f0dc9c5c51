#include "experiments/train/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <utility>

#include "core/error.h"

namespace mg::train {
namespace {

constexpr int kBarWidth = 20;
constexpr const char* kClearToEndOfLine = "\x1b[K";

double steady_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int terminal_columns(std::FILE* out) {
  winsize size{};
  if (ioctl(fileno(out), TIOCGWINSZ, &size) != 0) return 0;
  return size.ws_col;
}

std::string eta(std::int64_t done, std::int64_t total, double elapsed) {
  if (done >= total) return format_duration(0);
  if (done == 0 || !(elapsed > 0)) return "?";
  return format_duration(elapsed * static_cast<double>(total - done) / static_cast<double>(done));
}

std::string rate(std::int64_t done, double elapsed) {
  if (done == 0 || !(elapsed > 0)) return "? it/s";
  return format_rate(static_cast<double>(done) / elapsed) + " it/s";
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto whole = static_cast<std::int64_t>(seconds);
  const std::int64_t hours = whole / 3600, minutes = whole / 60 % 60, secs = whole % 60;
  char text[48];
  if (hours > 0) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(hours),
                  static_cast<long long>(minutes), static_cast<long long>(secs));
  } else {
    std::snprintf(text, sizeof text, "%02lld:%02lld", static_cast<long long>(minutes),
                  static_cast<long long>(secs));
  }
  return text;
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0) return "?";
  const int decimals = per_second >= 100 ? 0 : per_second >= 10 ? 1 : per_second >= 1 ? 2 : 3;
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, per_second);
  return text;
}

ProgressBar::ProgressBar(std::string label, std::int64_t total, ProgressOptions options)
    : label_(std::move(label)), total_(total), options_(std::move(options)) {
  MG_CHECK(total >= 0, "ProgressBar '", label_, "': total must be >= 0, got ", total);
  MG_CHECK(options_.out != nullptr, "ProgressBar '", label_, "': no output stream");
  if (!options_.now_seconds) options_.now_seconds = steady_seconds;
  terminal_ = options_.terminal.value_or(isatty(fileno(options_.out)) != 0);
  columns_ = options_.columns > 0 ? options_.columns
             : terminal_          ? terminal_columns(options_.out)
                                  : 0;
  start_ = options_.now_seconds();
}

ProgressBar::~ProgressBar() {
  if (line_open_) write("\n");
}

double ProgressBar::elapsed() const {
  return options_.now_seconds() - start_;
}

void ProgressBar::update(std::int64_t done, std::string suffix) {
  if (finished_) return;
  done_ = std::clamp<std::int64_t>(done, 0, total_);
  if (!suffix.empty()) suffix_ = std::move(suffix);
  const double now = elapsed();
  if (terminal_) {
    const bool due = !last_redraw_ || now - *last_redraw_ >= options_.min_redraw_seconds;
    if (!due && done_ < total_) return;
    last_redraw_ = now;
    write(terminal_line(now));
    line_open_ = true;
    return;
  }
  // Tenths in integer arithmetic: a line exactly when done reaches k·total/10. total 0 counts
  // as complete.
  const std::int64_t tenth = total_ == 0 ? 10 : done_ * 10 / total_;
  if (tenth <= last_tenth_) return;
  last_tenth_ = tenth;
  write_plain_line(now);
}

void ProgressBar::finish(std::string suffix) {
  if (finished_) return;
  finished_ = true;
  if (!suffix.empty()) suffix_ = std::move(suffix);
  const double now = elapsed();
  if (terminal_) {
    write(terminal_line(now) + "\n");
    line_open_ = false;
    return;
  }
  if (done_ != plain_done_ || suffix_ != plain_suffix_) write_plain_line(now);
}

std::string ProgressBar::terminal_line(double elapsed) const {
  const double fraction =
      total_ == 0 ? 1.0 : static_cast<double>(done_) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kBarWidth);
  std::string line =
      str(label_, " [", std::string(filled, '#'), std::string(kBarWidth - filled, '-'), "]  ",
          done_, "/", total_, "  ", rate(done_, elapsed), "  ", format_duration(elapsed), " eta ",
          eta(done_, total_, elapsed));
  if (!suffix_.empty()) line += "  " + suffix_;
  // One column short of the width: a line that fills it moves some terminals to the next line.
  if (columns_ > 1 && static_cast<int>(line.size()) >= columns_) line.resize(columns_ - 1);
  return "\r" + line + kClearToEndOfLine;
}

void ProgressBar::write_plain_line(double elapsed) {
  plain_done_ = done_;
  plain_suffix_ = suffix_;
  const std::int64_t percent = total_ == 0 ? 100 : done_ * 100 / total_;
  std::string line =
      str(label_, "  ", done_, "/", total_, "  ", percent, "%  ", rate(done_, elapsed), "  ",
          format_duration(elapsed), " eta ", eta(done_, total_, elapsed));
  if (!suffix_.empty()) line += "  " + suffix_;
  write(line + "\n");
}

void ProgressBar::write(const std::string& text) {
  std::fputs(text.c_str(), options_.out);
  // A terminal line has no newline to flush it; a log read while training runs wants each line.
  std::fflush(options_.out);
}

}  // namespace mg::train
