#pragma once

// Answering with .xlsx workbooks (written by api/formats/xlsx_writer.h).

#include <httplib.h>

#include <string>
#include <vector>

#include "api/formats/xlsx_writer.h"
#include "eventstore/status.h"

namespace crm::api {

// Answers with `sheets` as an .xlsx download named `file_name` (ASCII), or
// with the problem of a failure to write it.
void SendWorkbook(httplib::Response& res, const std::vector<Sheet>& sheets,
                  const std::string& file_name);

}  // namespace crm::api
