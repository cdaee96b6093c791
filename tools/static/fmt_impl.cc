// fmt's compiled part, built into the simbus program so it needs no libfmt.so.
//
// Debian ships fmt only as a shared library. Loading it (and with it a shared
// libstdc++) cost about a millisecond of dynamic loading per process, a sixth of a
// whole `simbus check` of a 3,400-line history. With fmt's out-of-line functions
// compiled here, simbus links libstdc++ and libgcc statically and drops libfmt.so
// (--as-needed). The definitions come from the installed headers, so they always
// match the fmt version every other file was compiled against.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {
// format.h declares these `extern template`; the shared library holds their only
// instantiation, so this replacement must hold it too.
template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);
}  // namespace detail
FMT_END_NAMESPACE
