#include "sim/scenario/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace capsim::units {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Parses a leading real number (with `_` separators) and returns it with the rest of the text.
bool leading_number(std::string_view s, double& out, std::string_view& rest) {
  std::string digits;
  std::size_t i = 0;
  bool seen_digit = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
      seen_digit = true;
    } else if (c == '_' && seen_digit && i + 1 < s.size() &&
               std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      continue;
    } else if (c == '.' || ((c == '+' || c == '-') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E'))) {
      digits.push_back(c);
    } else if ((c == 'e' || c == 'E') && seen_digit && i + 1 < s.size() &&
               (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '-' ||
                s[i + 1] == '+')) {
      digits.push_back(c);
    } else {
      break;
    }
  }
  if (!seen_digit) return false;
  const char* b = digits.data();
  const char* e = digits.data() + digits.size();
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p != e) return false;
  rest = trim(s.substr(i));
  return std::isfinite(out);
}

double suffix_multiplier(std::string_view suf, bool& ok) {
  ok = true;
  if (suf.empty()) return 1.0;
  if (suf == "k" || suf == "K") return 1e3;
  if (suf == "M") return 1e6;
  if (suf == "B" || suf == "G") return 1e9;
  ok = false;
  return 1.0;
}

}  // namespace

Parsed<double> parse_number(std::string_view text) {
  const auto t = trim(text);
  double v = 0;
  std::string_view rest;
  if (!leading_number(t, v, rest)) return {std::string("not a number")};
  bool ok = false;
  const double m = suffix_multiplier(rest, ok);
  if (!ok) return {fmt::format("unknown suffix '{}' (allowed: k, M, B)", rest)};
  return {v * m};
}

Parsed<SimTime> parse_duration(std::string_view text) {
  const auto t = trim(text);
  double v = 0;
  std::string_view unit;
  if (!leading_number(t, v, unit)) return {std::string("not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)")};
  static constexpr std::array<std::pair<std::string_view, double>, 11> kUnits{{
      {"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1.0}, {"sec", 1.0}, {"m", 60.0},
      {"min", 60.0}, {"h", 3600.0}, {"d", 86400.0}, {"day", 86400.0}, {"w", 604800.0}}};
  if (unit.empty()) {
    if (v == 0) return {SimTime::zero()};
    return {std::string("a duration needs a unit (allowed: ns, us, ms, s, m, min, h, d, w)")};
  }
  for (const auto& [name, sec] : kUnits) {
    if (unit == name) {
      const double s = v * sec;
      if (std::fabs(s) > 9.0e9) return {std::string("duration too long to simulate (over 285 years)")};
      return {SimTime::seconds(s)};
    }
  }
  return {fmt::format("unknown duration unit '{}' (allowed: ns, us, ms, s, m, min, h, d, w)", unit)};
}

Parsed<double> parse_rate(std::string_view text) {
  const auto t = trim(text);
  const auto slash = t.find('/');
  const auto per = t.find(" per ");
  std::string_view num;
  std::string_view unit;
  if (slash != std::string_view::npos) {
    num = t.substr(0, slash);
    unit = trim(t.substr(slash + 1));
  } else if (per != std::string_view::npos) {
    num = t.substr(0, per);
    unit = trim(t.substr(per + 5));
  } else {
    return {std::string("a rate needs a unit (e.g. 8/s, 500/min, 90/h, 1.2M/day)")};
  }
  const auto n = parse_number(num);
  if (!n.ok()) return {n.error()};
  static constexpr std::array<std::pair<std::string_view, double>, 9> kUnits{{
      {"s", 1.0}, {"sec", 1.0}, {"min", 60.0}, {"m", 60.0}, {"h", 3600.0}, {"hour", 3600.0},
      {"d", 86400.0}, {"day", 86400.0}, {"week", 604800.0}}};
  for (const auto& [name, sec] : kUnits) {
    if (unit == name) return {n.value() / sec};
  }
  return {fmt::format("unknown rate unit '/{}' (allowed: /s, /min, /h, /day, /week)", unit)};
}

Parsed<int> parse_utc_offset(std::string_view text) {
  auto t = trim(text);
  if (t == "UTC" || t == "Z" || t == "GMT") return {0};
  if (t.starts_with("UTC") || t.starts_with("GMT")) t.remove_prefix(3);
  if (t.empty() || (t[0] != '+' && t[0] != '-')) {
    return {std::string("not a UTC offset (allowed: UTC, Z, +08:00, -05:30, UTC+8)")};
  }
  const int sign = t[0] == '-' ? -1 : 1;
  t.remove_prefix(1);
  int h = 0;
  int m = 0;
  std::string digits;
  for (char c : t) {
    if (c != ':') digits.push_back(c);
  }
  for (char c : digits) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return {std::string("not a UTC offset (allowed: UTC, Z, +08:00, -05:30, UTC+8)")};
    }
  }
  if (digits.size() <= 2 && !digits.empty()) {
    h = std::stoi(digits);
  } else if (digits.size() == 4) {
    h = std::stoi(digits.substr(0, 2));
    m = std::stoi(digits.substr(2));
  } else {
    return {std::string("not a UTC offset (allowed: UTC, Z, +08:00, -05:30, UTC+8)")};
  }
  if (h > 14 || m > 59) return {std::string("UTC offset out of range (-14:00 to +14:00)")};
  return {sign * (h * 60 + m)};
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Parsed<DateTime> parse_datetime(std::string_view text, int default_offset_min) {
  const auto t = trim(text);
  const std::string_view bad = "not a date (allowed: 2024-03-18, 2024-03-18 20:00, 2024-03-18T20:00:00+08:00)";
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > t.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
      out = out * 10 + (t[i] - '0');
    }
    return true;
  };
  int y = 0, mo = 0, d = 0, hh = 0, mm = 0, ss = 0;
  if (!num(0, 4, y) || t.size() < 10 || t[4] != '-' || !num(5, 2, mo) || t[7] != '-' || !num(8, 2, d)) {
    return {std::string(bad)};
  }
  static constexpr std::array<int, 12> kDays{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[static_cast<std::size_t>(mo - 1)] || (mo == 2 && d == 29 && !leap)) {
    return {fmt::format("no such calendar date '{}'", t.substr(0, 10))};
  }
  std::size_t pos = 10;
  if (pos < t.size() && (t[pos] == 'T' || t[pos] == ' ')) {
    ++pos;
    if (!num(pos, 2, hh) || pos + 2 >= t.size() + 0 || t[pos + 2] != ':' || !num(pos + 3, 2, mm)) {
      return {std::string(bad)};
    }
    pos += 5;
    if (pos < t.size() && t[pos] == ':') {
      if (!num(pos + 1, 2, ss)) return {std::string(bad)};
      pos += 3;
    }
    if (hh > 23 || mm > 59 || ss > 60) return {fmt::format("no such time of day in '{}'", t)};
  }
  int offset = default_offset_min;
  const auto rest = trim(t.substr(pos));
  if (!rest.empty()) {
    const auto o = parse_utc_offset(rest);
    if (!o.ok()) return {fmt::format("{} (after the date: '{}')", o.error(), rest)};
    offset = o.value();
  }
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return {DateTime{days * 86400 + hh * 3600 + mm * 60 + ss - offset * 60, offset}};
}

std::string format_duration(SimTime t) {
  const double s = t.to_seconds();
  const double a = std::fabs(s);
  if (a == 0) return "0s";
  if (a < 1e-3) return fmt::format("{:g}us", s * 1e6);
  if (a < 1) return fmt::format("{:g}ms", s * 1e3);
  if (a < 120) return fmt::format("{:g}s", s);
  if (a < 7200) return fmt::format("{:g}m", s / 60);
  if (a < 172800) return fmt::format("{:g}h", s / 3600);
  return fmt::format("{:g}d", s / 86400);
}

}  // namespace capsim::units
