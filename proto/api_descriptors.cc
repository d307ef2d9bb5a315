#include "api_descriptors.h"

extern "C" const char xdsd_api_descriptor_set_begin[];
extern "C" const char xdsd_api_descriptor_set_end[];

namespace xdsd::proto {

std::string_view EmbeddedApiDescriptorSet() {
  return std::string_view(xdsd_api_descriptor_set_begin,
                          xdsd_api_descriptor_set_end - xdsd_api_descriptor_set_begin);
}

}  // namespace xdsd::proto
