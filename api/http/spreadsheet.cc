#include "api/http/spreadsheet.h"

#include "api/http/problem.h"

namespace crm::api {

void SendWorkbook(httplib::Response& res, const std::vector<Sheet>& sheets,
                  const std::string& file_name) {
  Result<std::string> bytes = XlsxBytes(sheets);
  if (!bytes.ok()) return Send(res, FromStatus(bytes.status()));
  res.set_header("Content-Disposition", "attachment; filename=\"" + file_name + "\"");
  res.set_content(*bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
}

}  // namespace crm::api
