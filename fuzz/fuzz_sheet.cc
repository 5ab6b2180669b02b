// The import readers: any bytes as an .xlsx workbook and as CSV. They may
// refuse, never crash or exceed their bounds.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/formats/sheet_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)crm::api::ReadXlsx(bytes);
  (void)crm::api::ReadCsv(bytes);
  return 0;
}
