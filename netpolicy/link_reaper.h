// Deletes the veth pairs of detached Spaces on a thread of its own. Deleting a link waits for
// the kernel's RCU grace periods (tens of milliseconds on a loaded node), and by the time a
// pair is queued here it carries nothing: its Space is no longer registered (the guard drops
// its traffic), its node-side addresses and routes are gone and its namespace file is
// unmounted. So detach returns without that wait; settle() waits for it.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "rtnl.h"
#include "spacelet/base/error.h"

namespace spacelet::netpolicy {

class LinkReaper {
 public:
  // `sock` is a NETLINK_ROUTE socket in the node namespace, used only by the reaper's thread.
  explicit LinkReaper(NlSocket sock);
  // Finishes every queued deletion.
  ~LinkReaper();
  LinkReaper(const LinkReaper&) = delete;
  LinkReaper& operator=(const LinkReaper&) = delete;

  // Queues the deletion of the link with this index (`ifname` is for messages). A link already
  // gone, or deleted by someone else meanwhile, is not an error. Thread-safe.
  void remove(int ifindex, std::string ifname);
  // Waits until every queued deletion ran; returns the first one that failed since the last
  // settle(). Thread-safe.
  Result<void> settle();

 private:
  struct Doomed {
    int ifindex;
    std::string ifname;
  };
  void loop();

  NlSocket sock_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Doomed> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  Result<void> firstError_;
  std::thread worker_;  // last: started once everything above exists
};

}  // namespace spacelet::netpolicy
