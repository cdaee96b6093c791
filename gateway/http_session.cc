#include "gateway/http_session.h"

#include <boost/beast/websocket.hpp>

#include <chrono>

#include "gateway/rest.h"
#include "gateway/ws_session.h"
#include "runtime/log.h"

namespace simbus::gateway {

namespace beast = boost::beast;
namespace http = beast::http;

HttpSession::HttpSession(std::shared_ptr<Gateway> gateway, boost::asio::ip::tcp::socket socket)
    : gateway_(std::move(gateway)), stream_(std::move(socket)) {}

void HttpSession::read() {
  parser_.emplace();
  parser_->body_limit(http_body_bytes_max);
  stream_.expires_after(std::chrono::seconds(http_read_timeout_s));
  http::async_read(stream_, buffer_, *parser_,
                   [self = shared_from_this()](const boost::system::error_code& ec, std::size_t) { self->on_read(ec); });
}

void HttpSession::on_read(const boost::system::error_code& ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == boost::asio::error::connection_reset) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    return;
  }
  if (ec) {
    if (ec == http::error::body_limit) {
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "application/json");
      res.body() = R"({"error":"request body too large"})";
      res.keep_alive(false);
      write(std::move(res));
    }
    return;
  }
  http::request<http::string_body> request = parser_->release();
  if (beast::websocket::is_upgrade(request)) {
    // The WebSocket has its own timeouts (and pings): the stream's read timer is off.
    stream_.expires_never();
    std::make_shared<WsSession>(gateway_, std::move(stream_))->start(std::move(request));
    return;
  }
  // The call blocks on the broker (publish through Raft, linearizable reads): a task.
  auto self = shared_from_this();
  gateway_->process().spawn("http", [self, request = std::move(request)] {
    RestReply reply = handle_rest(*self->gateway_, request);
    http::response<http::string_body> res{static_cast<http::status>(reply.status), request.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::server, "simbus");
    res.keep_alive(request.keep_alive());
    res.body() = std::move(reply.body);
    self->write(std::move(res));
  });
}

void HttpSession::write(http::response<http::string_body> response) {
  response.prepare_payload();
  auto message = std::make_shared<http::response<http::string_body>>(std::move(response));
  http::async_write(stream_, *message, [self = shared_from_this(), message](const boost::system::error_code& ec, std::size_t) {
    if (ec) return;
    if (!message->keep_alive()) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
      return;
    }
    self->read();
  });
}

}  // namespace simbus::gateway
