package watch

// ListPage lets tests read deadlines in small pages.
var ListPage = &listPage
