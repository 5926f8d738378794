// Compiles Boost.URL into solar_core: Boost 1.81 on Debian ships it header-only, without a
// libboost_url to link, so exactly one translation unit must include its sources.
#include <boost/url/src.hpp>
