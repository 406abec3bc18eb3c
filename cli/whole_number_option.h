// Whole-number options: a CLI11 check that reads the option's text itself, so
// a bad value gets one short line with the allowed range in words, never the
// whole value echoed or a 309-digit bound.
#ifndef MEOWMX_CLI_WHOLE_NUMBER_OPTION_H_
#define MEOWMX_CLI_WHOLE_NUMBER_OPTION_H_

#include <charconv>
#include <cstdint>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>

#include "store/input_validation.h"

namespace meowmx::cli {

// Accepts the decimal whole numbers from `min` up to the largest `Integer`.
template <typename Integer>
CLI::Validator whole_number_from(Integer min) {
  const std::string range = "a whole number from " + std::to_string(min) + " to 2^" +
                            std::to_string(std::numeric_limits<Integer>::digits) + "-1";
  return CLI::Validator(
      [min, range](std::string& text) -> std::string {
        Integer value{};
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc() && end == text.data() + text.size() && value >= min) return {};
        return "'" + internal::excerpt(text, 24) + "' is not " + range;
      },
      min > 0 ? "POSITIVE" : "NONNEGATIVE");
}

}  // namespace meowmx::cli

#endif  // MEOWMX_CLI_WHOLE_NUMBER_OPTION_H_
