// Counting the connections a server holds, from /proc/net/tcp and tcp6 text (proc(5)).
#include "agent/supervisor/connection_drain.h"

#include <gtest/gtest.h>

namespace spacelet::agent::supervisor {
namespace {

// A listener on :8080 (0x1F90), two accepted connections on it (one not yet accepted is
// ESTABLISHED too), one handshake in progress, one closed (TIME_WAIT), and the app's own
// outgoing connection to a remote :443 (0x01BB).
constexpr const char* kTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n"
    "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 101000 0 1\n"
    "   1: 010011AC:1F90 000011AC:C350 01 00000000:00000000 00:00000000 00000000 101000 0 2\n"
    "   2: 010011AC:1F90 000011AC:C351 01 00000000:00000000 00:00000000 00000000 101000 0 3\n"
    "   3: 010011AC:1F90 000011AC:C352 03 00000000:00000000 00:00000000 00000000 101000 0 4\n"
    "   4: 010011AC:1F90 000011AC:C353 06 00000000:00000000 00:00000000 00000000 0 0 0\n"
    "   5: 010011AC:D431 0A0A0A0A:01BB 01 00000000:00000000 00:00000000 00000000 101000 0 5\n";

constexpr const char* kTcp6 =
    "  sl  local_address                         remote_address                        st\n"
    "   0: 00000000000000000000000000000000:1B58 00000000000000000000000000000000:0000 0A\n"
    "   1: 0000000000000000FFFF0000010011AC:1B58 0000000000000000FFFF0000000011AC:C360 01\n";

TEST(ConnectionDrain, CountsConnectionsOnListeningPortsOnly) {
  EXPECT_EQ(countServedConnections(kTcp), 3u);  // two ESTABLISHED, one SYN_RECV
}

TEST(ConnectionDrain, ReadsBothTablesOneAfterTheOther) {
  EXPECT_EQ(countServedConnections(std::string(kTcp) + kTcp6), 4u);
}

TEST(ConnectionDrain, NothingServedWithoutAListener) {
  EXPECT_EQ(countServedConnections(
                "  sl  local_address rem_address   st\n"
                "   0: 010011AC:1F90 000011AC:C350 01 00000000:00000000 00:00000000 0 0 0 2\n"),
            0u);
  EXPECT_EQ(countServedConnections(""), 0u);
}

TEST(ConnectionDrain, AProcessThatIsGoneHasNothingToDrain) {
  EXPECT_EQ(waitForDrain(0, std::chrono::milliseconds(1000)), 0u);
}

}  // namespace
}  // namespace spacelet::agent::supervisor
