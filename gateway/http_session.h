// One accepted TCP connection: HTTP/1.1 requests (keep-alive) until one asks for a
// WebSocket upgrade, which hands the stream to a WsSession. An HTTP API call runs in its
// own task (it blocks on the broker), which writes the answer when it has it.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <memory>
#include <optional>

#include "gateway/gateway.h"

namespace simbus::gateway {

inline constexpr std::size_t http_body_bytes_max = 256 * 1024;
inline constexpr std::int64_t http_read_timeout_s = 30;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<Gateway> gateway, boost::asio::ip::tcp::socket socket);
  void start() { read(); }

 private:
  void read();
  void on_read(const boost::system::error_code& ec);
  void write(boost::beast::http::response<boost::beast::http::string_body> response);

  std::shared_ptr<Gateway> gateway_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace simbus::gateway
